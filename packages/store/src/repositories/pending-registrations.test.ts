import { expect, it } from "vitest";
import { generateKeyMaterial, SecretBox } from "../secret-box.js";
import { openStore } from "../store.js";
import { forEachDriver } from "../test-support/drivers.js";

const HOUR = 3_600_000;
const later = () => new Date(Date.now() + HOUR);

forEachDriver((driver) => {
  it("keeps a pending registration sealed, finds it by id and by JID, and forgets it", async () => {
    const options = await driver.createDatabase();
    const store = await openStore({ ...options, secretBox: SecretBox.fromMaterial(generateKeyMaterial()) });
    const state = { values: { username: "romeo", password: "S3cr3t-Xy7q" }, stepIndex: 1 };
    await store.pendingRegistrations.save({
      id: "s1",
      jid: "romeo@x.org",
      frontEnd: "adhoc",
      state,
      expiresAt: later(),
    });
    await store.pendingRegistrations.save({
      id: "s2",
      jid: "romeo@x.org",
      frontEnd: "chat",
      state,
      expiresAt: later(),
    });
    await store.pendingRegistrations.save({
      id: "s3",
      jid: "juliet@x.org",
      frontEnd: "chat",
      state,
      expiresAt: later(),
    });

    expect((await store.pendingRegistrations.get("s1"))?.state).toEqual(state);
    expect((await store.pendingRegistrations.latest("romeo@x.org", "chat"))?.id).toBe("s2");
    expect(await store.pendingRegistrations.latest("nobody@x.org", "chat")).toBeUndefined();

    // Saving again under the same id replaces the state (the flow moved on a step).
    await store.pendingRegistrations.save({
      id: "s1",
      jid: "romeo@x.org",
      frontEnd: "adhoc",
      state: { ...state, stepIndex: 2 },
      expiresAt: later(),
    });
    expect((await store.pendingRegistrations.get("s1"))?.state.stepIndex).toBe(2);

    await store.pendingRegistrations.deleteFor("romeo@x.org");
    expect(await store.pendingRegistrations.get("s1")).toBeUndefined();
    expect(await store.pendingRegistrations.get("s2")).toBeUndefined();
    expect(await store.pendingRegistrations.get("s3")).toBeDefined();
    await store.close();

    // Sealed: without the key the state cannot be read, so the password is not stored in the clear.
    const plain = await openStore(options);
    await expect(plain.pendingRegistrations.get("s3")).rejects.toThrow(/encrypted, but no secret key/);
    await plain.pendingRegistrations.delete("s3");
    expect(await plain.pendingRegistrations.latest("juliet@x.org", "chat")).toBeUndefined();
    await plain.close();
  });

  it("hides expired registrations and deletes them on request", async () => {
    const store = await driver.openStore();
    const state = { stepIndex: 0 };
    await store.pendingRegistrations.save({
      id: "old",
      jid: "a@x.org",
      frontEnd: "adhoc",
      state,
      expiresAt: new Date(Date.now() - 1000),
    });
    await store.pendingRegistrations.save({
      id: "new",
      jid: "a@x.org",
      frontEnd: "adhoc",
      state,
      expiresAt: later(),
    });
    expect(await store.pendingRegistrations.get("old")).toBeUndefined();
    expect((await store.pendingRegistrations.latest("a@x.org", "adhoc"))?.id).toBe("new");
    expect(await store.pendingRegistrations.deleteExpired()).toBe(1);
    expect(await store.pendingRegistrations.deleteExpired()).toBe(0);
    expect(await store.pendingRegistrations.get("new")).toBeDefined();
  });
});
