import { NS_PUBSUB } from "./avatar.js";
import { type Element, xml } from "./element.js";
import { buildForm } from "./forms.js";
import { JID } from "./jid.js";
import { sanitizeXmlText } from "./xml-text.js";

/** XEP-0402 PEP native bookmarks: the node and the `<conference/>` namespace. */
export const NS_BOOKMARKS = "urn:xmpp:bookmarks:1";
/** XEP-0249 direct MUC invitations. */
export const NS_CONFERENCE = "jabber:x:conference";
const NS_PUBLISH_OPTIONS = "http://jabber.org/protocol/pubsub#publish-options";

export interface Bookmark {
  /** The room's bare JID: the item id. */
  room: string;
  /** Shown in the client's room list. Sanitized; left out when empty. */
  name?: string;
  /** Join the room at login (the point of pushing a group as a bookmark). */
  autojoin: boolean;
  /** The nick to join with. Sanitized; left out when empty. */
  nick?: string;
}

/**
 * The IQ that publishes one bookmark to the user's PEP (XEP-0402 §3.2), to send as the user with
 * `sendPrivilegedIq` (XEP-0356): `type="set"`, no `to` (the user's own account), the item under
 * node `urn:xmpp:bookmarks:1` with id = the room JID, and the publish-options XEP-0402 requires
 * (persistent, whitelist so only the user reads it, as many items as the server allows, and no
 * last-item push to new subscribers). Throws `XmppError("jid-malformed")` for an invalid room JID
 * and `RangeError` for one that is not a bare `room@service`.
 */
export function bookmarkPublishIq(bookmark: Bookmark, id?: string): Element {
  const room = roomJid(bookmark.room);
  const name = bookmark.name === undefined ? "" : sanitizeXmlText(bookmark.name);
  const nick = bookmark.nick === undefined ? "" : sanitizeXmlText(bookmark.nick);
  return xml(
    "iq",
    { type: "set", id },
    xml(
      "pubsub",
      { xmlns: NS_PUBSUB },
      xml(
        "publish",
        { node: NS_BOOKMARKS },
        xml(
          "item",
          { id: room },
          xml(
            "conference",
            { xmlns: NS_BOOKMARKS, name: name || undefined, autojoin: bookmark.autojoin ? "true" : "false" },
            nick ? xml("nick", {}, nick) : null,
          ),
        ),
      ),
      xml(
        "publish-options",
        {},
        buildForm({
          type: "submit",
          formType: NS_PUBLISH_OPTIONS,
          fields: [
            { var: "pubsub#persist_items", type: "boolean" },
            { var: "pubsub#max_items", type: "text-single" },
            { var: "pubsub#send_last_published_item", type: "list-single" },
            { var: "pubsub#access_model", type: "list-single" },
          ],
          values: {
            "pubsub#persist_items": "true",
            "pubsub#max_items": "max",
            "pubsub#send_last_published_item": "never",
            "pubsub#access_model": "whitelist",
          },
        }),
      ),
    ),
  );
}

/**
 * The IQ that removes one bookmark (XEP-0402 §3.3): `<retract node notify="true"><item id/></retract>`,
 * so the user's other clients hear of it. Send it as the user, like {@link bookmarkPublishIq}.
 */
export function bookmarkRetractIq(room: string, id?: string): Element {
  return xml(
    "iq",
    { type: "set", id },
    xml(
      "pubsub",
      { xmlns: NS_PUBSUB },
      xml("retract", { node: NS_BOOKMARKS, notify: "true" }, xml("item", { id: roomJid(room) })),
    ),
  );
}

/**
 * The IQ that reads the user's bookmarks (XEP-0402 §3.1), one room's (`room`, as item id) or all.
 * Send it as the user; read the answer with {@link parseBookmarks}. Reading first lets a gateway
 * keep what the user changed (a bookmark they set to not autojoin stays so).
 */
export function bookmarksQueryIq(room?: string, id?: string): Element {
  return xml(
    "iq",
    { type: "get", id },
    xml(
      "pubsub",
      { xmlns: NS_PUBSUB },
      xml("items", { node: NS_BOOKMARKS }, room === undefined ? null : xml("item", { id: roomJid(room) })),
    ),
  );
}

/**
 * The bookmarks in a pubsub items result (or an event): one per item whose id is a room's bare JID
 * and that holds a `<conference xmlns="urn:xmpp:bookmarks:1"/>`. Anything else is skipped, not
 * refused: the node is the user's, written by all their clients, and one odd item must not hide
 * the others. `autojoin` is true only for "true" or "1" (XML Schema boolean).
 */
export function parseBookmarks(result: Element): Bookmark[] {
  const pubsub = result.is("pubsub", NS_PUBSUB) ? result : result.getChild("pubsub", NS_PUBSUB);
  const items = pubsub?.getChild("items");
  if (!items || items.attrs.node !== NS_BOOKMARKS) return [];
  const bookmarks: Bookmark[] = [];
  for (const item of items.getChildren("item")) {
    const jid = JID.tryParse(item.attrs.id);
    const conference = item.getChild("conference", NS_BOOKMARKS);
    if (!jid?.local || !jid.isBare || !conference) continue;
    const autojoin = conference.attrs.autojoin?.trim();
    const bookmark: Bookmark = { room: jid.toString(), autojoin: autojoin === "true" || autojoin === "1" };
    if (conference.attrs.name) bookmark.name = conference.attrs.name;
    const nick = conference.getChildText("nick");
    if (nick) bookmark.nick = nick;
    bookmarks.push(bookmark);
  }
  return bookmarks;
}

export interface DirectInvitationOptions {
  /** Who invites: the room, or a puppet of the gateway. */
  from: string;
  /** The user's bare JID. */
  to: string;
  room: string;
  /** Why; sanitized, left out when empty. */
  reason?: string;
  /** A readable line for clients that do not show invitations. Sanitized, left out when empty. */
  body?: string;
  id?: string;
}

/**
 * An XEP-0249 direct invitation: `<message><body/>?<x xmlns="jabber:x:conference" jid reason?/>
 * </message>`, the fallback when the server grants no PEP privilege for bookmarks.
 */
export function directInvitation(options: DirectInvitationOptions): Element {
  const reason = options.reason === undefined ? "" : sanitizeXmlText(options.reason);
  const body = options.body === undefined ? "" : sanitizeXmlText(options.body);
  return xml(
    "message",
    { from: options.from, to: options.to, id: options.id },
    body ? xml("body", {}, body) : null,
    xml("x", { xmlns: NS_CONFERENCE, jid: roomJid(options.room), reason: reason || undefined }),
  );
}

function roomJid(room: string): string {
  const jid = JID.parse(room);
  if (!jid.local || !jid.isBare)
    throw new RangeError("A bookmark or invitation names a room's bare JID (room@service).");
  return jid.toString();
}
