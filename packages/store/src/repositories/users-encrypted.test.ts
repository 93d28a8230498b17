import { expect, it } from "vitest";
import { StoreConfigError } from "../errors.js";
import { generateKeyMaterial, SecretBox } from "../secret-box.js";
import { openStore } from "../store.js";
import { forEachDriver } from "../test-support/drivers.js";

forEachDriver((driver) => {
  it("seals registration and legacy data, and needs the key to read them back", async () => {
    const options = await driver.createDatabase();
    const key = generateKeyMaterial();
    const sealed = await openStore({ ...options, secretBox: SecretBox.fromMaterial(key) });
    await sealed.users.create({
      jid: "a@example.org",
      registration: { password: "S3cr3t-Xy7q" },
      legacyData: { t: 1 },
    });
    await sealed.close();

    const plain = await openStore(options);
    await expect(plain.users.get("a@example.org")).rejects.toThrow(StoreConfigError);
    await expect(plain.users.get("a@example.org")).rejects.toThrow(/encrypted, but no secret key/);
    await plain.close();

    const reopened = await openStore({ ...options, secretBox: SecretBox.fromMaterial(key) });
    const user = await reopened.users.get("a@example.org");
    expect(user?.registration).toEqual({ password: "S3cr3t-Xy7q" });
    expect(user?.legacyData).toEqual({ t: 1 });
    await reopened.close();
  });

  it("reads rows written without a key, and reseals them; rotation reseals old-key rows", async () => {
    const options = await driver.createDatabase();
    const plain = await openStore(options);
    await plain.users.create({ jid: "a@example.org", registration: { password: "p1" } });
    await plain.users.create({
      jid: "b@example.org",
      registration: { password: "p2" },
      legacyData: { s: 2 },
    });
    await plain.close();

    const oldKey = generateKeyMaterial();
    const first = await openStore({ ...options, secretBox: SecretBox.fromMaterial(oldKey) });
    expect((await first.users.get("a@example.org"))?.registration).toEqual({ password: "p1" });
    expect(await first.users.resealAll()).toBe(2);
    expect(await first.users.resealAll()).toBe(0);
    await first.close();

    const newKey = generateKeyMaterial();
    const rotating = await openStore({ ...options, secretBox: SecretBox.fromMaterial(newKey, [oldKey]) });
    expect(await rotating.users.resealAll()).toBe(2);
    await rotating.close();

    const onlyNew = await openStore({ ...options, secretBox: SecretBox.fromMaterial(newKey) });
    expect((await onlyNew.users.get("b@example.org"))?.legacyData).toEqual({ s: 2 });
    await onlyNew.close();
  });
});
