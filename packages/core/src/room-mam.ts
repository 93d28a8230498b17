import type { RoomArchiveQuery } from "@gangway/store";
import {
  type Element,
  type IqContext,
  JID,
  type MamQuery,
  mamFin,
  mamItemNotFound,
  mamMetadata,
  mamQueryForm,
  mamResultMessage,
  NS_MAM,
  parseMamQuery,
  type XmppComponent,
  XmppError,
} from "@gangway/xmpp";
import type { GatewayHost } from "./host.js";
import type { AnyRoom } from "./room.js";
import { archiveIdOf as archiveId } from "./room-archive.js";
import { roomFor } from "./room-router.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";

/** A page when the query asks for none (XEP-0313 leaves it to the archive). */
export const MAM_DEFAULT_PAGE = 50;
/** The most a page holds, whatever `<max/>` asks (XEP-0059 lets the archive return fewer). */
export const MAM_MAX_PAGE = 250;

const NO_ARCHIVE = "Only this gateway's rooms have an archive.";

/**
 * XEP-0313 on each room's bare JID, for any resource of the room's user (joined or not): the
 * query form, the metadata (first and last archived message), and queries answered with result
 * messages then `<fin/>` with the RSM page and `complete`. Strangers get `registration-required`,
 * like a join.
 */
export function serveRoomArchive(
  component: XmppComponent,
  host: GatewayHost,
  sessions: Sessions<AnySession>,
  toPuppet: (to: string) => boolean,
): void {
  component.iq.handle({ namespace: NS_MAM, type: "get", to: toPuppet }, async (ctx) => {
    const room = archivedRoom(host, sessions, ctx);
    if (ctx.child.name === "metadata") {
      const bounds = await room.archive.bounds();
      return mamMetadata(
        bounds && {
          start: { id: archiveId(bounds.first.options), stamp: bounds.first.at },
          end: { id: archiveId(bounds.last.options), stamp: bounds.last.at },
        },
      );
    }
    if (ctx.child.name === "query") return mamQueryForm();
    throw new XmppError("feature-not-implemented", "Ask for the query form or the metadata.");
  });
  component.iq.handle({ namespace: NS_MAM, type: "set", to: toPuppet }, async (ctx) => {
    const room = archivedRoom(host, sessions, ctx);
    return answerQuery(host, room, parseMamQuery(ctx.child), ctx.from.toString());
  });
}

/** The room a MAM request addresses, with its archive on; the errors say why there is none. */
function archivedRoom(host: GatewayHost, sessions: Sessions<AnySession>, { from, to }: IqContext): AnyRoom {
  const session = sessions.require(from.bare().toString(), { loggedIn: true });
  const room = to.local && !to.resource ? roomFor(host, session, to.local) : undefined;
  if (!room) throw new XmppError("service-unavailable", NO_ARCHIVE);
  if (!room.archive.enabled)
    throw new XmppError("service-unavailable", "This gateway keeps no room archives.");
  return room;
}

/** Sends the page's result messages to `to`, in order, and returns the `<fin/>` that ends the query. */
async function answerQuery(host: GatewayHost, room: AnyRoom, query: MamQuery, to: string): Promise<Element> {
  const bounds = toArchiveQuery(room, query);
  const page = bounds === "none" ? { entries: [], complete: true } : await room.archive.query(bounds);
  if (!page) throw mamItemNotFound();
  const entries = query.flipPage ? [...page.entries].reverse() : page.entries;
  for (const entry of entries) {
    await host.send(
      mamResultMessage({
        from: room.jid,
        to,
        ...(query.queryId !== undefined && { queryId: query.queryId }),
        id: archiveId(entry.options),
        stamp: entry.at,
        message: room.archivedStanza(entry, to),
      }),
    );
  }
  const first = entries[0];
  const last = entries.at(-1);
  return mamFin({
    complete: page.complete,
    ...(first && last && { first: archiveId(first.options), last: archiveId(last.options) }),
  });
}

/** The store query a MAM query asks for; "none" when no message can match (a `with` elsewhere). */
export function toArchiveQuery(room: AnyRoom, query: MamQuery): RoomArchiveQuery | "none" {
  if (query.index !== undefined) {
    throw new XmppError("feature-not-implemented", "This archive pages by id, not by index.");
  }
  const result: {
    -readonly [K in keyof RoomArchiveQuery]: RoomArchiveQuery[K];
  } = { max: Math.min(query.max ?? MAM_DEFAULT_PAGE, MAM_MAX_PAGE) };
  if (query.with !== undefined) {
    // In a room's archive, `with` is an occupant: room@gateway/nick.
    const jid = JID.parse(query.with);
    if (jid.bare().toString() !== JID.parse(room.jid).bare().toString() || !jid.resource) return "none";
    result.nick = jid.resource;
  }
  if (query.start) result.start = query.start;
  if (query.end) result.end = query.end;
  if (query.ids) result.ids = query.ids;
  const after = [query.afterId, query.after].filter((id): id is string => id !== undefined);
  const before = [query.beforeId, query.before].filter((id): id is string => id !== undefined && id !== "");
  if (after.length > 0) result.afterIds = after;
  if (before.length > 0) result.beforeIds = before;
  // RSM <before/> (empty: the last page) takes the page at the newest end.
  if (query.before !== undefined) result.fromEnd = true;
  return result;
}
