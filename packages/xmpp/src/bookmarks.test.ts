import { describe, expect, it } from "vitest";
import {
  bookmarkPublishIq,
  bookmarkRetractIq,
  bookmarksQueryIq,
  directInvitation,
  parseBookmarks,
} from "./bookmarks.js";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import { sendPrivilegedIq } from "./privileged-iq.js";

const ROOM = "lobby@gw.example";

const PUBLISH_OPTIONS =
  '<publish-options><x xmlns="jabber:x:data" type="submit">' +
  '<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/pubsub#publish-options</value></field>' +
  '<field var="pubsub#persist_items"><value>true</value></field>' +
  '<field var="pubsub#max_items"><value>max</value></field>' +
  '<field var="pubsub#send_last_published_item"><value>never</value></field>' +
  '<field var="pubsub#access_model"><value>whitelist</value></field></x></publish-options>';

describe("XEP-0402 bookmarks", () => {
  it("publishes one room with name, autojoin, nick and the required publish-options", () => {
    expect(
      bookmarkPublishIq({ room: ROOM, name: "Lobby \u0007", autojoin: true, nick: "romeo" }, "b1").toString(),
    ).toBe(
      '<iq type="set" id="b1"><pubsub xmlns="http://jabber.org/protocol/pubsub">' +
        `<publish node="urn:xmpp:bookmarks:1"><item id="${ROOM}">` +
        '<conference xmlns="urn:xmpp:bookmarks:1" name="Lobby " autojoin="true"><nick>romeo</nick></conference>' +
        `</item></publish>${PUBLISH_OPTIONS}</pubsub></iq>`,
    );
  });

  it("leaves out an empty name and nick, and writes autojoin false", () => {
    expect(bookmarkPublishIq({ room: "Lobby@GW.example", name: "", autojoin: false }).toString()).toBe(
      '<iq type="set"><pubsub xmlns="http://jabber.org/protocol/pubsub">' +
        `<publish node="urn:xmpp:bookmarks:1"><item id="${ROOM}">` +
        '<conference xmlns="urn:xmpp:bookmarks:1" autojoin="false"/>' +
        `</item></publish>${PUBLISH_OPTIONS}</pubsub></iq>`,
    );
  });

  it("retracts one room, notifying the user's other clients", () => {
    expect(bookmarkRetractIq(ROOM, "b2").toString()).toBe(
      '<iq type="set" id="b2"><pubsub xmlns="http://jabber.org/protocol/pubsub">' +
        `<retract node="urn:xmpp:bookmarks:1" notify="true"><item id="${ROOM}"/></retract></pubsub></iq>`,
    );
  });

  it("refuses what is not a room's bare JID", () => {
    expect(() => bookmarkPublishIq({ room: `${ROOM}/nick`, autojoin: true })).toThrow(RangeError);
    expect(() => bookmarkRetractIq("gw.example")).toThrow(RangeError);
    expect(() => bookmarkRetractIq("a@b@c")).toThrow(XmppError);
  });

  it("goes out as the user through XEP-0356", async () => {
    const sent: string[] = [];
    const request = async (outer: ReturnType<typeof parseXml>) => {
      sent.push(outer.toString());
      const inner = outer.getChild("privileged_iq")?.getChild("iq");
      return parseXml(
        `<iq type='result' from='romeo@example.org' to='gw.example'><privilege xmlns='urn:xmpp:privilege:2'>` +
          `<forwarded xmlns='urn:xmpp:forward:0'><iq xmlns='jabber:client' type='result' id='${inner?.attrs.id}' ` +
          `from='romeo@example.org' to='romeo@example.org'/></forwarded></privilege></iq>`,
      );
    };
    const result = await sendPrivilegedIq(request, {
      component: "gw.example",
      user: "romeo@example.org",
      iq: bookmarkPublishIq({ room: ROOM, autojoin: true }, "b3"),
    });
    expect(result.attrs.type).toBe("result");
    expect(sent[0]).toContain(
      '<privileged_iq xmlns="urn:xmpp:privilege:2"><iq xmlns="jabber:client" type="set" from="romeo@example.org" id="b3">' +
        '<pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:xmpp:bookmarks:1">',
    );
  });
});

describe("XEP-0249 direct invitation", () => {
  it("invites with a reason and a readable body", () => {
    expect(
      directInvitation({
        from: "gw.example",
        to: "romeo@example.org",
        room: ROOM,
        reason: "Your group",
        body: "Join Lobby",
        id: "i1",
      }).toString(),
    ).toBe(
      '<message from="gw.example" to="romeo@example.org" id="i1"><body>Join Lobby</body>' +
        `<x xmlns="jabber:x:conference" jid="${ROOM}" reason="Your group"/></message>`,
    );
  });

  it("leaves out what is empty and refuses a non-room", () => {
    expect(
      directInvitation({
        from: "gw.example",
        to: "romeo@example.org",
        room: ROOM,
        reason: "",
        body: "",
      }).toString(),
    ).toBe(
      `<message from="gw.example" to="romeo@example.org"><x xmlns="jabber:x:conference" jid="${ROOM}"/></message>`,
    );
    expect(() => directInvitation({ from: "gw.example", to: "r@e", room: `${ROOM}/x` })).toThrow(RangeError);
  });
});

describe("reading bookmarks", () => {
  it("asks for one room or all", () => {
    expect(bookmarksQueryIq(ROOM, "g1").toString()).toBe(
      '<iq type="get" id="g1"><pubsub xmlns="http://jabber.org/protocol/pubsub">' +
        `<items node="urn:xmpp:bookmarks:1"><item id="${ROOM}"/></items></pubsub></iq>`,
    );
    expect(bookmarksQueryIq().toString()).toBe(
      '<iq type="get"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:bookmarks:1"/></pubsub></iq>',
    );
  });

  it("reads the rooms, skipping odd items instead of refusing the lot", () => {
    const result = parseXml(
      "<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'>" +
        `<item id='${ROOM}'><conference xmlns='urn:xmpp:bookmarks:1' name='Lobby' autojoin='1'><nick>romeo</nick></conference></item>` +
        "<item id='other@muc.example'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='yes'/></item>" +
        "<item id='third@muc.example'><conference xmlns='urn:xmpp:bookmarks:1'><nick/></conference></item>" +
        "<item id='muc.example'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item>" +
        "<item id='x@muc.example/nick'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item>" +
        "<item id='a@b@c'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item>" +
        "<item id='y@muc.example'><conference xmlns='storage:bookmarks'/></item>" +
        "<item><conference xmlns='urn:xmpp:bookmarks:1'/></item>" +
        "</items></pubsub></iq>",
    );
    expect(parseBookmarks(result)).toEqual([
      { room: ROOM, name: "Lobby", autojoin: true, nick: "romeo" },
      { room: "other@muc.example", autojoin: false },
      { room: "third@muc.example", autojoin: false },
    ]);
    const pubsub = result.getChild("pubsub");
    expect(pubsub && parseBookmarks(pubsub)).toHaveLength(3);
  });

  it("reads nothing from another node or an empty answer", () => {
    expect(parseBookmarks(parseXml("<iq type='result'/>"))).toEqual([]);
    expect(
      parseBookmarks(
        parseXml(
          "<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:data'>" +
            `<item id='${ROOM}'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item></items></pubsub></iq>`,
        ),
      ),
    ).toEqual([]);
  });
});
