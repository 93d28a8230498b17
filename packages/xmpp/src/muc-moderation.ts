import { type Element, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { NS_OCCUPANT_ID } from "./muc-presence.js";
import { sanitizeXmlText } from "./xml-text.js";

export const NS_MODERATE = "urn:xmpp:message-moderate:1";
/** XEP-0425 before 0.3 (a fastening): still the only form some clients and ejabberd speak. */
export const NS_MODERATE_LEGACY = "urn:xmpp:message-moderate:0";
const NS_RETRACT = "urn:xmpp:message-retract:1";
const NS_RETRACT_LEGACY = "urn:xmpp:message-retract:0";
/** XEP-0422 fastening: the 0.2 moderation request is an `<apply-to/>` in it. */
export const NS_FASTEN = "urn:xmpp:fasten:0";

/** A moderator's request to retract a message from the room. */
export interface ModerationRequest {
  /** The room's stanza-id (XEP-0359 `by` the room) of the message to retract. */
  readonly id: string;
  /** Shown to occupants with the retraction. */
  readonly reason?: string;
}

/**
 * Reads an XEP-0425 moderation IQ payload: `<moderate xmlns="urn:xmpp:message-moderate:1" id>
 * <retract xmlns="urn:xmpp:message-retract:1"/><reason/></moderate>`, or the 0.2 form
 * `<apply-to xmlns="urn:xmpp:fasten:0" id><moderate xmlns="…:0"><retract xmlns="…retract:0"/>
 * </moderate></apply-to>`. Pass the IQ or its payload. Throws `XmppError("bad-request")` when the
 * id or the `<retract/>` is missing (retraction is the only moderation XEP-0425 defines).
 */
export function parseModerationRequest(element: Element): ModerationRequest {
  const payload = element.name === "iq" ? element.getChildElements()[0] : element;
  let id: string | undefined;
  let moderate: Element | undefined;
  let retractNs = NS_RETRACT;
  if (payload?.is("moderate", NS_MODERATE)) {
    moderate = payload;
    id = payload.attrs.id;
  } else if (payload?.is("apply-to", NS_FASTEN)) {
    moderate = payload.getChild("moderate", NS_MODERATE_LEGACY);
    id = payload.attrs.id;
    retractNs = NS_RETRACT_LEGACY;
  }
  if (!moderate) throw new XmppError("bad-request", "Expected an XEP-0425 <moderate/> request.");
  if (!id) throw new XmppError("bad-request", "The moderation request names no message id.");
  if (!moderate.getChild("retract", retractNs)) {
    throw new XmppError("bad-request", "Only retraction can be requested as moderation.");
  }
  const reason = moderate.getChildText("reason")?.trim();
  return Object.freeze(reason ? { id, reason } : { id });
}

export interface ModeratedRetractionOptions {
  /** The room's bare JID: the message comes from the room itself. */
  room: string;
  /** The occupant's full JID. */
  to: string;
  /** This message's own id. */
  id: string;
  /** The room's stanza-id of the retracted message. */
  retractedId: string;
  /** The moderator's nick: `by="room/nick"`; without it `by` names the room. */
  moderatorNick?: string;
  /** XEP-0421 id of the moderator. */
  moderatorOccupantId?: string;
  /** Sanitized; left out when empty. */
  reason?: string;
  /** The room's stanza-id for this retraction, so it can be archived and replayed. */
  stanzaId?: string;
}

/**
 * The retraction a room broadcasts after a moderation (XEP-0425 0.3 §4): `<retract id>` with
 * `<moderated by><occupant-id/></moderated>` and the reason, followed by the 0.2 fastening form for
 * clients that only know that one (Conversations, older Gajim). Both name the same message, so a
 * client that reads both applies one retraction.
 */
export function buildModeratedRetraction(options: ModeratedRetractionOptions): Element {
  const { room, to, id, retractedId, moderatorNick, moderatorOccupantId, stanzaId } = options;
  // The 0.2 schema makes `by` required; when the network does not say which admin it was, the
  // room itself is named as the moderator rather than leaving the attribute out.
  const by = moderatorNick === undefined ? room : `${room}/${moderatorNick}`;
  const reason = options.reason === undefined ? "" : sanitizeXmlText(options.reason).trim();
  const reasonElement = () => (reason ? xml("reason", {}, reason) : null);
  return xml(
    "message",
    { from: room, to, type: "groupchat", id },
    xml(
      "retract",
      { xmlns: NS_RETRACT, id: retractedId },
      xml(
        "moderated",
        { xmlns: NS_MODERATE, by },
        moderatorOccupantId === undefined
          ? null
          : xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: moderatorOccupantId }),
      ),
      reasonElement(),
    ),
    xml(
      "apply-to",
      { xmlns: NS_FASTEN, id: retractedId },
      xml(
        "moderated",
        { xmlns: NS_MODERATE_LEGACY, by },
        xml("retract", { xmlns: NS_RETRACT_LEGACY }),
        reasonElement(),
      ),
    ),
    stanzaId === undefined ? null : xml("stanza-id", { xmlns: "urn:xmpp:sid:0", id: stanzaId, by: room }),
  );
}
