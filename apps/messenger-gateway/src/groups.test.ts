import { createHash } from "node:crypto";
import type { Element } from "@gangway/core";
import { drain, legacyContact } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { AVATAR_SIZE, fakePng, PICTURE_SIZE } from "./client/fake-media.js";
import type { MessengerGateway } from "./gateway.js";
import type { MessengerRoom } from "./room.js";
import { ALICE_JID, GW, ROMEO, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const FAMILY = `family@${GW}`;
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const sha1 = (data: Uint8Array) => createHash("sha1").update(data).digest("hex");

/**
 * Pictures and group changes: friends' profile pictures as contact avatars, Family's picture as
 * the room's; Family's name, members and admins as they change on Messenger (bob renames it,
 * alice removes and adds bob, makes him an admin); the user's own actions in Family from the
 * official app shown as theirs; a subject set by the user renames the thread; a friend's new
 * name and picture.
 */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: MessengerGateway;

  beforeEach(async () => {
    store = await driver.openStore();
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  async function join(): Promise<Element[]> {
    await transport.inject(
      `<presence from="${ROMEO}/pc" to="${FAMILY}/romeo"><x xmlns="${MUC}"/></presence>`,
    );
    return drain(transport);
  }

  async function say(text: string, until: (s: Element) => boolean): Promise<Element> {
    await transport.inject(
      `<message type="groupchat" id="g-${text.length}" from="${ROMEO}/pc" to="${FAMILY}"><body>${text}</body></message>`,
    );
    return transport.waitForSent(until);
  }

  const itemOf = (presence: Element) => presence.getChild("x", MUC_USER)!.getChild("item")!;
  const familyRoom = async () =>
    (await gateway.sessionFor(ROMEO)!.rooms.byLegacyId("family")) as MessengerRoom;

  it("friends' pictures are their avatars, announced with their presence (XEP-0153 hash)", async () => {
    const alice = await legacyContact(gateway, ROMEO, "alice.fb");
    const png = fakePng("alice.fb/1", AVATAR_SIZE);
    expect(Buffer.from(alice.avatar!.data).equals(png)).toBe(true);
    expect(alice.avatar!.id).toBe(sha1(png));
    const bob = await legacyContact(gateway, ROMEO, "bob.fb");
    expect(bob.avatar!.id).toBe(sha1(fakePng("bob.fb/1", AVATAR_SIZE)));
    expect(bob.avatar!.id).not.toBe(alice.avatar!.id);
    expect(alice.presenceStanza().getChild("x", "vcard-temp:x:update")!.getChildText("photo")).toBe(
      sha1(png),
    );
  });

  it("Family's picture is the room's avatar; alice.fb is an admin (moderator); /picture changes it", async () => {
    const sent = await join();
    const room = await familyRoom();
    const first = fakePng("family/1", PICTURE_SIZE);
    expect(room.avatar!.id).toBe(sha1(first));
    const alice = sent.find((s) => s.attrs.from === `${FAMILY}/Alice Facebook`)!;
    expect(itemOf(alice).attrs).toMatchObject({ role: "moderator", affiliation: "admin" });
    const bob = sent.find((s) => s.attrs.from === `${FAMILY}/Bob Facebook`)!;
    expect(itemOf(bob).attrs).toMatchObject({ role: "participant", affiliation: "member" });
    const announced = await say("/picture", (s) => s.is("presence") && s.attrs.from === FAMILY);
    const second = sha1(fakePng("family/2", PICTURE_SIZE));
    expect(announced.getChild("x", "vcard-temp:x:update")!.getChildText("photo")).toBe(second);
    expect(room.avatar!.id).toBe(second);
  });

  it("/rename: bob.fb renames Family, shown as the subject he set and the room's name", async () => {
    const sent = await join();
    expect(sent.find((s) => s.getChild("subject"))!.getChildText("subject")).toBe("Family");
    const subject = await say("/rename Cousins", (s) => s.getChild("subject") !== undefined);
    expect(subject.attrs.from).toBe(`${FAMILY}/Bob Facebook`);
    expect(subject.getChildText("subject")).toBe("Cousins");
    expect((await familyRoom()).name).toBe("Cousins");
    expect(gateway.sessionFor(ROMEO)!.threads.get("family")!.name).toBe("Cousins");
  });

  it("/kick-bob, /add-bob and /admin-bob: bob.fb leaves (kicked), comes back, becomes a moderator", async () => {
    await join();
    const gone = await say("/kick-bob", (s) => s.is("presence") && s.attrs.from === `${FAMILY}/Bob Facebook`);
    expect(gone.attrs.type).toBe("unavailable");
    expect(
      gone
        .getChild("x", MUC_USER)!
        .getChildren("status")
        .map((s) => s.attrs.code),
    ).toContain("307");
    expect((await familyRoom()).participants.has("Bob Facebook")).toBe(false);
    const back = await say("/add-bob", (s) => s.is("presence") && s.attrs.from === `${FAMILY}/Bob Facebook`);
    expect(back.attrs.type).toBeUndefined();
    expect(itemOf(back).attrs.jid).toBe(`bob.fb@${GW}`);
    const admin = await say(
      "/admin-bob",
      (s) => s.is("presence") && s.attrs.from === `${FAMILY}/Bob Facebook`,
    );
    expect(itemOf(admin).attrs).toMatchObject({ role: "moderator", affiliation: "admin" });
  });

  it("a subject the user sets renames the thread on Messenger, shown from their nick", async () => {
    await join();
    await transport.inject(
      `<message type="groupchat" id="s1" from="${ROMEO}/pc" to="${FAMILY}"><subject>Cousins and all</subject></message>`,
    );
    const subject = await transport.waitForSent((s) => s.getChild("subject") !== undefined);
    expect(subject.attrs.from).toBe(`${FAMILY}/romeo`);
    expect(subject.getChildText("subject")).toBe("Cousins and all");
    expect(gateway.cloud.logins("romeo@example.org")).toBe(1);
    // On Messenger: the thread is renamed (a new login lists it under its new name).
    const client = gateway.newClient();
    await client.login({ email: "romeo@example.org", password: "pw" });
    expect((await client.getThreads()).find((t) => t.id === "family")!.name).toBe("Cousins and all");
    await client.logout();
  });

  it("what the user writes in Family from the official app shows as theirs, from their nick", async () => {
    await join();
    gateway.sessionFor(ROMEO)!.client.emit("message", {
      threadId: "family",
      messageId: "mid.phone.family.1",
      senderId: "romeo@example.org",
      text: "from my phone, to the family",
      timestampMs: Date.now(),
      mentions: [],
      fromMe: true,
      attachments: [],
    });
    const carbon = await transport.waitForSent(
      (s) => s.getChildText("body") === "from my phone, to the family",
    );
    expect(carbon.attrs).toMatchObject({ from: `${FAMILY}/romeo`, type: "groupchat", to: `${ROMEO}/pc` });
  });

  it("alice.fb's new name and picture (friendUpdate): her avatar is announced, her occupant renamed", async () => {
    await join();
    await transport.inject(
      `<message type="chat" id="p1" from="${ROMEO}/pc" to="${ALICE_JID}"><body>/picture</body></message>`,
    );
    const event = await transport.waitForSent(
      (s) =>
        s.is("message") &&
        s.attrs.from === "alice.fb@messenger.localhost" &&
        s.getChild("event") !== undefined,
    );
    expect(event.toString()).toContain(sha1(fakePng("alice.fb/2", AVATAR_SIZE)));
    await transport.inject(
      `<message type="chat" id="p2" from="${ROMEO}/pc" to="${ALICE_JID}"><body>/rename Alicia</body></message>`,
    );
    const renamed = await transport.waitForSent(
      (s) =>
        s.is("presence") && s.attrs.from === `${FAMILY}/Alice Facebook` && s.attrs.type === "unavailable",
    );
    expect(itemOf(renamed).attrs.nick).toBe("Alicia");
    await transport.waitForSent((s) => s.is("presence") && s.attrs.from === `${FAMILY}/Alicia`);
    expect((await legacyContact(gateway, ROMEO, "alice.fb")).name).toBe("Alicia");
  });

  it("a message in a group the login did not list: the group is looked up and becomes a room", async () => {
    const session = gateway.sessionFor(ROMEO)!;
    const listed = await session.client.getThreads();
    const cousins = { id: "cousins", name: "Cousins", isGroup: true, participantIds: ["alice.fb"] };
    vi.spyOn(session.client, "getThreads").mockResolvedValue([...listed, cousins]);
    const message = (threadId: string, text: string) => ({
      threadId,
      messageId: `mid.${threadId}.1`,
      senderId: "alice.fb",
      text,
      timestampMs: Date.now(),
      mentions: [],
      fromMe: false,
      attachments: [],
    });
    session.client.emit("message", message("cousins", "welcome to Cousins"));
    const invitation = await transport.waitForSent(
      (s) => s.is("message") && s.getChild("x", "jabber:x:conference") !== undefined,
    );
    expect(invitation.getChild("x", "jabber:x:conference")!.attrs.jid).toBe(`cousins@${GW}`);
    await transport.inject(
      `<presence from="${ROMEO}/pc" to="cousins@${GW}/romeo"><x xmlns="${MUC}"/></presence>`,
    );
    const history = await transport.waitForSent((s) => s.getChildText("body") === "welcome to Cousins");
    expect(history.attrs.from).toBe(`cousins@${GW}/Alice Facebook`);
    // A thread the network does not list at all is no contact named after it.
    session.client.emit("message", message("unlisted", "lost"));
    session.client.emit("message", { ...message("alice.fb", "after it"), messageId: "mid.after" });
    await transport.waitForSent((s) => s.getChildText("body") === "after it");
    expect(transport.sent.some((s) => String(s.attrs.from).startsWith(`unlisted@${GW}`))).toBe(false);
  });

  it("added to a group the login did not list (threadUpdate): it becomes a room the user is told of", async () => {
    const session = gateway.sessionFor(ROMEO)!;
    const listed = await session.client.getThreads();
    const school = { id: "school", name: "School", isGroup: true, participantIds: ["bob.fb"] };
    vi.spyOn(session.client, "getThreads").mockResolvedValue([...listed, school]);
    session.client.emit("threadUpdate", {
      threadId: "school",
      actorId: "bob.fb",
      added: ["romeo@example.org"],
    });
    const invitation = await transport.waitForSent(
      (s) => s.is("message") && s.getChild("x", "jabber:x:conference") !== undefined,
    );
    expect(invitation.getChild("x", "jabber:x:conference")!.attrs.jid).toBe(`school@${GW}`);
    expect(session.groupThreads.has("school")).toBe(true);
  });
});
