import { drain } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { LEFT_LOBBY_REASON } from "./lobby-removal.js";
import { GW, ROMEO, sayToGateway, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const LOBBY = `lobby@${GW}`;
const MUC_USER = "http://jabber.org/protocol/muc#user";

/** `leave-lobby`: the lobby destroyed under romeo's joined client, refused afterwards, back at the next login. */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  beforeEach(async () => {
    store = await driver.openStore();
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const join = (id: string) =>
    transport.inject(
      `<presence id="${id}" from="${ROMEO}/pc" to="${LOBBY}/romeo"><x xmlns="http://jabber.org/protocol/muc"/></presence>`,
    );

  it("destroys the lobby for romeo, refuses a join until he logs in again", async () => {
    await join("j1");
    drain(transport);
    let mark = transport.sent.length;

    const answers = await sayToGateway(transport, ROMEO, "leave-lobby");
    expect(answers).toEqual(["You left the lobby. It comes back at your next login."]);
    const destroyed = transport.sent
      .slice(mark)
      .find((s) => s.is("presence") && s.attrs.from === `${LOBBY}/romeo`)!;
    expect(destroyed.attrs).toMatchObject({ to: `${ROMEO}/pc`, type: "unavailable" });
    const x = destroyed.getChild("x", MUC_USER)!;
    expect(x.getChild("destroy")!.getChildText("reason")).toBe(LEFT_LOBBY_REASON);
    expect(x.getChildren("status").map((s) => s.attrs.code)).toEqual(["110"]);

    expect(await sayToGateway(transport, ROMEO, "leave-lobby")).toEqual([
      "You are not in the lobby; log in again to get it back.",
    ]);
    await join("j2");
    const refused = transport.sent.find((s) => s.attrs.id === "j2")!;
    expect(refused.attrs.type).toBe("error");
    expect(refused.getChild("error")!.getChild("item-not-found")).toBeDefined();

    // The next login lists it again, and invites romeo again (his row was forgotten with the room).
    mark = transport.sent.length;
    await gateway.restartSession(ROMEO);
    const invited = transport.sent
      .slice(mark)
      .filter((s) => s.getChild("x", "jabber:x:conference")?.attrs.jid === LOBBY);
    expect(invited).toHaveLength(1);
    expect(gateway.sessionFor(ROMEO)!.rooms.byJidLocal("lobby")).toBeDefined();
  });
});
