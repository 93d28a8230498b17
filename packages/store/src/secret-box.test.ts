import { describe, expect, it } from "vitest";
import { StoreConfigError } from "./errors.js";
import { generateKeyMaterial, keyFromMaterial, SecretBox } from "./secret-box.js";

describe("SecretBox", () => {
  const box = SecretBox.fromMaterial(generateKeyMaterial());

  it("seals to an envelope without the plaintext and opens it again", () => {
    const sealed = box.seal('{"password":"S3cr3t-Xy7q"}', "users.registration\u0000a@b");
    expect(sealed.startsWith(`gw-enc:v1:${box.keyId}:`)).toBe(true);
    expect(sealed).not.toContain("S3cr3t");
    expect(box.open(sealed, "users.registration\u0000a@b")).toBe('{"password":"S3cr3t-Xy7q"}');
  });

  it("uses a fresh IV every time", () => {
    expect(box.seal("x", "c")).not.toBe(box.seal("x", "c"));
  });

  it("refuses a value moved to another row or column, or tampered with", () => {
    const sealed = box.seal("secret", "users.registration\u0000a@b");
    expect(() => box.open(sealed, "users.registration\u0000mallory@b")).toThrow(/failed authentication/);
    expect(() => box.open(sealed, "users.legacy_data\u0000a@b")).toThrow(StoreConfigError);
    // The third character from the end carries 6 significant bits (the last one may carry padding).
    const tampered = `${sealed.slice(0, -3)}${sealed.at(-3) === "A" ? "B" : "A"}${sealed.slice(-2)}`;
    expect(tampered).not.toBe(sealed);
    expect(() => box.open(tampered, "users.registration\u0000a@b")).toThrow(/failed authentication/);
  });

  it("opens values sealed with a previous key during rotation, and says which key is missing otherwise", () => {
    const oldMaterial = generateKeyMaterial();
    const sealedOld = SecretBox.fromMaterial(oldMaterial).seal("v", "c");
    const rotated = SecretBox.fromMaterial(generateKeyMaterial(), [oldMaterial]);
    expect(rotated.open(sealedOld, "c")).toBe("v");
    expect(rotated.needsResealing(sealedOld)).toBe(true);
    expect(rotated.needsResealing(rotated.seal("v", "c"))).toBe(false);
    expect(() => box.open(sealedOld, "c")).toThrow(/not configured: pass that key as a previous secret key/);
  });

  it("takes base64 keys as they are and stretches passphrases; refuses short ones", () => {
    const material = generateKeyMaterial();
    expect(keyFromMaterial(material).toString("base64")).toBe(material);
    expect(keyFromMaterial("a long enough passphrase")).toHaveLength(32);
    expect(keyFromMaterial("a long enough passphrase")).toEqual(keyFromMaterial("a long enough passphrase"));
    expect(() => keyFromMaterial("short")).toThrow(/at least 16 characters/);
    expect(() => keyFromMaterial("  ")).toThrow(/empty/);
  });
});
