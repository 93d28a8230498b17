import { startTestGateway } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import { FakeMessengerClient } from "./client/fake-client.js";
import { FcaMessengerClient } from "./client/fca/index.js";
import { MessengerGateway } from "./gateway.js";
import { GW } from "./test-support/gateway.js";

/** `--backend`: fca by default (Facebook, through the fca library), fake on request. */
forEachDriver((driver) => {
  let store: Store;
  let gateway: MessengerGateway | undefined;

  beforeEach(async () => {
    store = await driver.openStore();
    gateway = undefined;
  });
  afterEach(async () => {
    await gateway?.stop();
  });

  it("is fca by default: its clients are the fca library's, its reactions the library's nine", async () => {
    ({ gateway } = await startTestGateway(MessengerGateway, store, { domain: GW }));
    expect(gateway!.options.backend).toBe("fca");
    expect(gateway!.newClient()).toBeInstanceOf(FcaMessengerClient);
    expect([...gateway!.reactions!]).toEqual(["😍", "😆", "😮", "😢", "😠", "👍", "👎", "❤", "💗", "❤️"]);
  });

  it("--backend fake: the fake cloud's clients, any reaction", async () => {
    ({ gateway } = await startTestGateway(MessengerGateway, store, {
      domain: GW,
      args: ["--backend", "fake"],
    }));
    expect(gateway!.newClient()).toBeInstanceOf(FakeMessengerClient);
    expect(gateway!.reactions).toBeUndefined();
  });

  it("refuses another backend, naming the choices", async () => {
    const started = startTestGateway(MessengerGateway, store, { domain: GW, args: ["--backend", "other"] });
    await expect(started).rejects.toThrow(/fca.*fake|fake.*fca/);
  });
});
