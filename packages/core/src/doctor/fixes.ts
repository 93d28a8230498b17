/**
 * The configuration lines that grant what the doctor found missing, for Prosody (prosody.cfg.lua,
 * mod_privilege from prosody-modules) and ejabberd (ejabberd.yml), as the README's "Prosody" and
 * "ejabberd" sections set them up. `gateway` is the component's JID.
 */

/** Said once before the Prosody privilege lines: without both, nothing is granted at all. */
const PROSODY_PRIVILEGE = 'with modules_enabled = { "privilege" } on the VirtualHost and on the Component';
/** ejabberd grants to an access rule; the README's config names it gateway_priv. */
const EJABBERD_ACL = "(acl gateway: server: <gateway>, access_rules gateway_priv: allow: gateway)";

function prosodyGrant(gateway: string, entry: string): string {
  return `Prosody: privileged_entities = { ["${gateway}"] = { ${entry} } } ${PROSODY_PRIVILEGE}`;
}

export function rosterFix(gateway: string): string {
  return [
    prosodyGrant(gateway, 'roster = "both"'),
    `ejabberd: modules: mod_privilege: roster: both: gateway_priv ${EJABBERD_ACL.replace("<gateway>", gateway)}`,
  ].join("; ");
}

export function rosterSetFailedFix(): string {
  return "ejabberd 23.01 grants the roster privilege but fails privileged roster sets: use Prosody or a newer ejabberd";
}

export function messageFix(gateway: string): string {
  return [
    prosodyGrant(gateway, 'message = "outgoing"'),
    `ejabberd: modules: mod_privilege: message: outgoing: gateway_priv ${EJABBERD_ACL.replace("<gateway>", gateway)}`,
  ].join("; ");
}

export function iqFix(gateway: string, namespace: string, type: "both" | "get"): string {
  return [
    prosodyGrant(gateway, `iq = { ["${namespace}"] = "${type}" }`),
    `ejabberd 24.10 or later: modules: mod_privilege: iq: "${namespace}": ${type}: gateway_priv (ejabberd 23.01 has no IQ permission)`,
  ].join("; ");
}

export function uploadServiceFix(server: string): string {
  return [
    `Prosody: Component "upload.${server}" "http_file_share"`,
    `ejabberd: modules: mod_http_upload: put_url: "https://@HOST@:5443/upload" (and a listener with request_handlers: /upload: mod_http_upload)`,
    "or the gateway: --upload-service <jid>, or serve files itself with --file-http-port and --file-http-url",
  ].join("; ");
}

export function mamFix(): string {
  return ['Prosody: modules_enabled = { "mam" }', "ejabberd: modules: mod_mam: default: always"].join("; ");
}

export function databaseFix(): string {
  return "check that the database is up and reachable with --db-url (or that --home-dir is writable for SQLite)";
}
