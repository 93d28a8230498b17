import { describe, expect, it } from "vitest";
import { buildPresence } from "./chat-message.js";
import { parseXml } from "./element.js";
import { parseAvatarUpdateHash, parseUserPresence, subscriptionPresence } from "./presence.js";

describe("subscriptionPresence", () => {
  it("writes each subscription type from and to the given JIDs", () => {
    for (const type of ["subscribe", "subscribed", "unsubscribe", "unsubscribed"] as const) {
      expect(subscriptionPresence("alice@gw.example", "romeo@example.net", type).toString()).toBe(
        `<presence from="alice@gw.example" to="romeo@example.net" type="${type}"/>`,
      );
    }
  });

  it("adds an XEP-0172 nick when given, cleaned, and leaves an empty one out", () => {
    expect(
      subscriptionPresence("alice@gw.example", "romeo@example.net", "subscribe", {
        nick: "Alice\u0007 & co",
      }).toString(),
    ).toBe(
      '<presence from="alice@gw.example" to="romeo@example.net" type="subscribe">' +
        '<nick xmlns="http://jabber.org/protocol/nick">Alice &amp; co</nick></presence>',
    );
    expect(
      subscriptionPresence("alice@gw.example", "romeo@example.net", "subscribe", { nick: "" }).toString(),
    ).toBe('<presence from="alice@gw.example" to="romeo@example.net" type="subscribe"/>');
  });

  it("refuses a type that is not a subscription", () => {
    expect(() => subscriptionPresence("a@gw.example", "r@example.net", "unavailable" as "subscribe")).toThrow(
      RangeError,
    );
  });
});

describe("parseUserPresence", () => {
  it("reads show, status and the client's resource", () => {
    const stanza = parseXml(`<presence from="romeo@example.net/orchard" to="gw.example">
      <show>dnd</show><status>Busy &amp; away</status><priority>5</priority></presence>`);
    expect(parseUserPresence(stanza)).toEqual({
      available: true,
      show: "dnd",
      status: "Busy & away",
      resource: "orchard",
    });
  });

  it("reads plain availability and unavailability", () => {
    expect(parseUserPresence(parseXml('<presence from="romeo@example.net/a"/>'))).toEqual({
      available: true,
      resource: "a",
    });
    expect(
      parseUserPresence(
        parseXml('<presence from="romeo@example.net" type="unavailable"><status/></presence>'),
      ),
    ).toEqual({ available: false, status: "" });
  });

  it("keeps only the RFC 6121 show values, tolerating whitespace around them", () => {
    const show = (value: string) =>
      parseUserPresence(parseXml(`<presence from="r@example.net/a"><show>${value}</show></presence>`)).show;
    expect(show(" away\n")).toBe("away");
    expect(show("chat")).toBe("chat");
    expect(show("xa")).toBe("xa");
    expect(show("online")).toBeUndefined();
    expect(show("Away")).toBeUndefined();
    expect(show("")).toBeUndefined();
  });

  it("has no resource when from is missing or malformed", () => {
    expect(parseUserPresence(parseXml("<presence/>"))).toEqual({ available: true });
    expect(parseUserPresence(parseXml('<presence from="@example.net/a"/>'))).toEqual({ available: true });
  });

  it("refuses presences that are not about availability", () => {
    for (const type of ["subscribe", "probe", "error", ""]) {
      expect(
        () => parseUserPresence(parseXml(`<presence from="r@example.net" type="${type}"/>`)),
        type,
      ).toThrow(RangeError);
    }
  });
});

describe("parseAvatarUpdateHash", () => {
  const presence = (children: string) =>
    parseXml(`<presence from="romeo@example.net/a">${children}</presence>`);

  it("reads the trimmed hash", () => {
    expect(
      parseAvatarUpdateHash(
        presence(
          '<x xmlns="vcard-temp:x:update"><photo>\n sha1-of-image-01234567890123456789012345 </photo></x>',
        ),
      ),
    ).toBe("sha1-of-image-01234567890123456789012345");
  });

  it('tells "no avatar" (empty photo) from "says nothing" (no photo, no x)', () => {
    expect(parseAvatarUpdateHash(presence('<x xmlns="vcard-temp:x:update"><photo/></x>'))).toBe("");
    expect(parseAvatarUpdateHash(presence('<x xmlns="vcard-temp:x:update"><photo>  </photo></x>'))).toBe("");
    expect(parseAvatarUpdateHash(presence('<x xmlns="vcard-temp:x:update"/>'))).toBeUndefined();
    expect(parseAvatarUpdateHash(presence(""))).toBeUndefined();
    expect(
      parseAvatarUpdateHash(presence('<x xmlns="jabber:x:other"><photo>abc</photo></x>')),
    ).toBeUndefined();
  });

  it("reads what buildPresence writes", () => {
    const from = { from: "a@gw.example", to: "r@example.net" };
    expect(parseAvatarUpdateHash(buildPresence({ ...from, avatarHash: "abc" }))).toBe("abc");
    expect(parseAvatarUpdateHash(buildPresence({ ...from, avatarHash: null }))).toBe("");
    expect(parseAvatarUpdateHash(buildPresence(from))).toBeUndefined();
  });
});
