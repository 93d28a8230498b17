import { forEachDriver } from "@gangway/store/testing";
import type { FormValues } from "@gangway/xmpp";
import { expect, it } from "vitest";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { startTestGateway } from "./testing/index.js";

/** What a gateway's stop does with the app's resources: closed after the sessions logged out. */

const events: string[] = [];

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async logout() {
    events.push("logout");
  }
}

class TestGateway extends BaseGateway<Session> {
  static override COMPONENT_TYPE = "test";
  readonly Session = Session;
  readonly first = this.closeOnStop({ close: async () => void events.push("close first") });
  readonly broken = this.closeOnStop({
    close: () => {
      events.push("close broken");
      throw new Error("already gone");
    },
  });
  readonly last = this.closeOnStop({ close: () => void events.push("close last") });
  override async validate(_jid: string, _form: FormValues) {}
}

forEachDriver((driver) => {
  it("closes the app's resources once, newest first, after the sessions logged out; a failing one does not stop the rest", async () => {
    events.length = 0;
    const store = await driver.openStore();
    const { gateway } = await startTestGateway(TestGateway, store, {
      users: [{ jid: "romeo@localhost", registration: {} }],
    });
    await gateway.stop();
    await gateway.stop();
    expect(events).toEqual(["logout", "close last", "close broken", "close first"]);
  });
});
