import newStanzaId from "@xmpp/id";
import { type Element, parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { JID } from "./jid.js";

export const NS_PRIVILEGE = "urn:xmpp:privilege:2";
export const NS_FORWARD = "urn:xmpp:forward:0";
const NS_CLIENT = "jabber:client";

export interface PrivilegedIq {
  /**
   * The component's own JID (the outer IQ's `from`). Omit it to leave `from` to `request`
   * ({@link XmppComponent.request} fills in the component domain).
   */
  component?: string | undefined;
  /** The bare JID of the local user to send as. */
  user: string;
  /**
   * The IQ to send as `user`: `type` get or set, exactly one payload element. Its `from`, if any,
   * must be `user`; it gets one. Without an `id` it gets a fresh one. It is copied, not changed.
   */
  iq: Element;
}

/**
 * Sends an IQ as a local user with the XEP-0356 v2 IQ permission (§5.3), and resolves with the
 * target's `result` IQ. `request` sends an IQ and resolves with its result (as
 * {@link XmppComponent.request} does).
 *
 * Wire shape, as Prosody's mod_privilege checks it: the outer IQ goes to the user's bare JID with
 * the same `type` as the wrapped one (mod_privilege checks the grant against the outer type and
 * refuses a mismatch); the wrapped IQ carries `xmlns="jabber:client"`, an `id` and `from` = the
 * user. The answer is `<privilege><forwarded><iq/></forwarded></privilege>` in the outer result.
 *
 * Rejects with the server's {@link XmppError} when it refuses to forward (no grant: `forbidden`),
 * with the target's error (from the forwarded `type="error"` IQ) when the target refuses, and with
 * `service-unavailable` when the result forwards nothing usable.
 */
export async function sendPrivilegedIq(
  request: (iq: Element) => Promise<Element>,
  { component, user, iq }: PrivilegedIq,
): Promise<Element> {
  const userJid = JID.tryParse(user);
  if (!userJid?.local || !userJid.isBare) {
    throw new RangeError(`A privileged IQ is sent as a user's bare JID, not ${JSON.stringify(user)}.`);
  }
  const bareUser = userJid.toString();
  if (!iq.is("iq")) throw new RangeError(`Only an <iq/> can be sent as a privileged IQ, not <${iq.name}/>.`);
  const { type } = iq.attrs;
  if (type !== "get" && type !== "set") {
    throw new RangeError(`A privileged IQ is a request (get or set), not type ${JSON.stringify(type)}.`);
  }
  if (iq.getChildElements().length !== 1) {
    // mod_privilege refuses anything else as "invalid payload in wrapped <IQ>".
    throw new RangeError("A privileged IQ carries exactly one payload element.");
  }
  if (iq.attrs.from !== undefined && JID.tryParse(iq.attrs.from)?.toString() !== bareUser) {
    throw new RangeError(`The IQ to send as ${bareUser} must not be from ${iq.attrs.from}.`);
  }

  // A copy, so the caller's element (and its payload's parent) stay as they were.
  const inner = parseXml(iq.toString());
  const { xmlns: _xmlns, from: _from, id: ownId, ...attrs } = inner.attrs;
  const id = ownId ?? newStanzaId();
  inner.attrs = { xmlns: NS_CLIENT, ...attrs, from: bareUser, id };

  const outer = xml(
    "iq",
    { type, to: bareUser, from: component },
    xml("privileged_iq", { xmlns: NS_PRIVILEGE }, inner),
  );
  const result = await request(outer);

  const forwarded = result
    .getChild("privilege", NS_PRIVILEGE)
    ?.getChild("forwarded", NS_FORWARD)
    ?.getChild("iq");
  const target = inner.attrs.to ?? bareUser;
  if (!forwarded || forwarded.attrs.id !== id) {
    throw new XmppError(
      "service-unavailable",
      `The server answered the IQ sent as ${bareUser} to ${target} without forwarding its response.`,
    );
  }
  if (forwarded.attrs.type === "error") throw XmppError.fromStanza(forwarded);
  if (forwarded.attrs.type !== "result") {
    throw new XmppError(
      "service-unavailable",
      `The server forwarded an IQ of type ${JSON.stringify(forwarded.attrs.type ?? "")} in response to ${target}.`,
    );
  }
  return forwarded;
}
