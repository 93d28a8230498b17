import { discoverUploadService, NS_HTTP_UPLOAD, NS_MAM, probeFeatures } from "@gangway/xmpp";
import { formatSize } from "../file-share.js";
import type { GatewayHost } from "../host.js";
import type { CheckResult } from "./check-result.js";
import { databaseFix, mamFix, uploadServiceFix } from "./fixes.js";
import { privilegeChecks } from "./privilege-checks.js";

/** What the doctor needs of the running gateway: the host, and whether its roster sets failed. */
export type DoctorHost = Pick<
  GatewayHost,
  "domain" | "config" | "store" | "privileges" | "privilegedRosterFailed" | "request"
>;

export interface DoctorOptions {
  /** How the component is connected, e.g. "online as gw.example.org at 127.0.0.1:5347". */
  connection: string;
  /**
   * Accounts (bare JIDs) to ask for MAM when the server does not list it on its own JID: Prosody
   * lists it only on each account, and only to the account's contacts. The asking admin first.
   */
  accounts: readonly string[];
  /** How long the database may take to answer. */
  databaseTimeoutMs?: number;
}

/** Accounts asked for MAM at most: one answer settles it. */
const MAX_ACCOUNTS = 3;

/**
 * Everything the doctor checks, in report order: the component connection, the database, the
 * XEP-0356 privileges, the upload service, MAM. Never throws: a check that fails says so.
 */
export async function runChecks(host: DoctorHost, options: DoctorOptions): Promise<CheckResult[]> {
  const server = host.privileges?.server ?? parentDomain(host.domain);
  const [database, upload, mam] = await Promise.all([
    databaseCheck(host, options.databaseTimeoutMs ?? 5000),
    uploadServiceCheck(host, server),
    mamCheck(host, server, options.accounts),
  ]);
  return [
    { name: "Component connection", status: "ok", found: options.connection },
    database,
    ...privilegeChecks(host.domain, host.privileges, host.privilegedRosterFailed),
    upload,
    mam,
  ];
}

/** Whether every check passed or could not be told (`unknown` is not a failure). */
export function allGranted(results: readonly CheckResult[]): boolean {
  return results.every((result) => result.status !== "missing");
}

async function databaseCheck(host: DoctorHost, timeoutMs: number): Promise<CheckResult> {
  const name = "Database";
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([host.store.healthCheck(), timeout]);
    return {
      name,
      status: "ok",
      found: `${host.store.driver} answers; its schema was brought up to date when the gateway opened it`,
    };
  } catch (err) {
    return {
      name,
      status: "missing",
      found: `${host.store.driver} does not answer: ${err instanceof Error ? err.message : String(err)}`,
      degrades: "nothing works: logins, registrations and messages all need it",
      fix: databaseFix(),
    };
  } finally {
    clearTimeout(timer);
  }
}

async function uploadServiceCheck(host: DoctorHost, server: string): Promise<CheckResult> {
  const name = "XEP-0363 upload service";
  const request = (iq: Parameters<DoctorHost["request"]>[0]) => host.request(iq);
  const configured = host.config.uploadService;
  const degrades = `files from the network are not passed on: users get a text with the file's name, size and link instead${host.config.uploadService ? "" : "; registration QR codes come as text only"}`;
  if (configured) {
    const features = await probeFeatures(request, configured, host.domain);
    if (features?.includes(NS_HTTP_UPLOAD)) {
      return { name, status: "ok", found: `${configured} (--upload-service)` };
    }
    return {
      name,
      status: "missing",
      found: `--upload-service ${configured} does not answer as an upload service`,
      degrades,
      fix: uploadServiceFix(server),
    };
  }
  const found = await discoverUploadService(request, server, host.domain).catch(() => undefined);
  if (found) {
    const limit = found.maxFileSize === undefined ? "" : `, files up to ${formatSize(found.maxFileSize)}`;
    return { name, status: "ok", found: `${found.jid} (listed by ${server}${limit})` };
  }
  if (host.config.fileHttp) {
    return {
      name,
      status: "ok",
      found: `none listed by ${server}; the gateway serves files itself (--file-http-port)`,
    };
  }
  return {
    name,
    status: "missing",
    found: `none: ${server} lists none and --upload-service is not set`,
    degrades,
    fix: uploadServiceFix(server),
  };
}

async function mamCheck(host: DoctorHost, server: string, accounts: readonly string[]): Promise<CheckResult> {
  const name = "MAM (XEP-0313) for users";
  const request = (iq: Parameters<DoctorHost["request"]>[0]) => host.request(iq);
  const degrades =
    "what the gateway passes on reaches only the clients online at the time (or the server's offline storage when none is): a client that was offline or added later does not get it, nor what the user sent from the network's own app";
  const serverFeatures = await probeFeatures(request, server, host.domain);
  if (serverFeatures?.includes(NS_MAM)) return { name, status: "ok", found: `${server} lists ${NS_MAM}` };
  for (const account of [...new Set(accounts)].slice(0, MAX_ACCOUNTS)) {
    const features = await probeFeatures(request, account, host.domain);
    if (!features) continue;
    if (features.includes(NS_MAM))
      return { name, status: "ok", found: `${account}'s account lists ${NS_MAM}` };
    return {
      name,
      status: "missing",
      found: `${account}'s account does not list ${NS_MAM}`,
      degrades,
      fix: mamFix(),
    };
  }
  return {
    name,
    status: "unknown",
    found: `${server} does not list ${NS_MAM} on its own JID and no user's account answered (Prosody and ejabberd list MAM on each account, and only to the account's contacts)`,
    degrades,
    fix: mamFix(),
  };
}

/** `gw.example.org` → `example.org`: the server a component is attached to. */
function parentDomain(domain: string): string {
  const dot = domain.indexOf(".");
  return dot === -1 ? domain : domain.slice(dot + 1);
}
