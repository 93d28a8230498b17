import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { inflateSync } from "node:zlib";
import { tempDir } from "@gangway/core/testing";
import { describe, expect, it } from "vitest";
import { FakeMessengerClient } from "./fake-client.js";
import { ALICE, FAKE_CLOUD_FILE, FAMILY, FakeCloud } from "./fake-cloud.js";
import { AVATAR_SIZE, fakePng, fakeVoiceOgg, PICTURE_SIZE } from "./fake-media.js";
import { type MessengerCredentials, MessengerLoginError } from "./port.js";

const ME = { email: "romeo@example.org", password: "pw" };
const cookies = (user: string, xs: string) =>
  JSON.stringify([
    { key: "c_user", value: user, domain: ".facebook.com" },
    { key: "xs", value: xs, domain: ".facebook.com" },
  ]);

async function failure(cloud: FakeCloud, credentials: MessengerCredentials) {
  const err = await new FakeMessengerClient(cloud).login(credentials).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MessengerLoginError);
  return err as MessengerLoginError;
}

describe("the fake cloud's cookie exports and sessions", () => {
  it("logs in with a cookie export as its c_user; refuses malformed ones without quoting them", async () => {
    const cloud = new FakeCloud();
    expect(await new FakeMessengerClient(cloud).login({ appState: cookies("Romeo.FB", "s") })).toBe(
      "romeo.fb",
    );
    for (const appState of ["", "{", "{}", "[]", JSON.stringify([{ key: "c_user", value: "secret-id" }])]) {
      const err = await failure(cloud, { appState });
      expect(err.reason).toBe("bad-app-state");
      expect(err.message).not.toContain("secret-id");
    }
    expect((await failure(cloud, { appState: cookies("romeo.fb", "expired") })).reason).toBe(
      "session-expired",
    );
    expect((await failure(cloud, { email: "browser.romeo@example.org", password: "pw" })).reason).toBe(
      "checkpoint-browser",
    );
  });

  it("counts logins, resumes an exported session without one, and refuses it once expired", async () => {
    const cloud = new FakeCloud();
    const first = new FakeMessengerClient(cloud);
    await first.login(ME);
    const session = await first.exportSession();
    await first.logout();
    const second = new FakeMessengerClient(cloud);
    expect(await second.resume(session)).toBe("romeo@example.org");
    expect(await second.getFriends()).toHaveLength(2);
    expect(cloud.logins("romeo@example.org")).toBe(1);
    cloud.expireSessions("romeo@example.org");
    const err = await new FakeMessengerClient(cloud).resume(session).catch((e: unknown) => e);
    expect((err as MessengerLoginError).reason).toBe("session-expired");
    expect(
      ((await new FakeMessengerClient(cloud).resume("not a session").catch((e) => e)) as MessengerLoginError)
        .reason,
    ).toBe("session-expired");
  });

  it("refreshes a connected client's session (sessionChanged), drops and ends connections", async () => {
    const cloud = new FakeCloud();
    const client = new FakeMessengerClient(cloud);
    await client.login(ME);
    const before = await client.exportSession();
    const changed = once(client, "sessionChanged");
    cloud.refreshSessions("romeo@example.org");
    await changed;
    const after = await client.exportSession();
    expect(after).not.toBe(before);
    expect(await new FakeMessengerClient(cloud).resume(after)).toBe("romeo@example.org");
    const states: string[] = [];
    client.on("connection", (e) => states.push(e.state));
    cloud.dropConnections("romeo@example.org");
    await once(client, "connection");
    await once(client, "connection");
    cloud.logOut("romeo@example.org", "password changed");
    const [ended] = await once(client, "connection");
    expect(states).toEqual(["reconnecting", "connected", "logged-out"]);
    expect(ended).toEqual({ state: "logged-out", reason: "password changed" });
    expect(
      ((await new FakeMessengerClient(cloud).resume(after).catch((e) => e)) as MessengerLoginError).reason,
    ).toBe("session-expired");
  });

  it("keeps logins, sessions and Family as changed in its file; reads a version 1 file", async () => {
    const file = join(tempDir("fake-cloud-"), FAKE_CLOUD_FILE);
    const cloud = new FakeCloud({ stateFile: file });
    const client = new FakeMessengerClient(cloud);
    await client.login(ME);
    const session = await client.exportSession();
    await client.renameThread(FAMILY, "Cousins");
    await client.sendMessage(FAMILY, { text: "/kick-bob" });
    cloud.close();
    const reopened = new FakeCloud({ stateFile: file });
    expect(reopened.logins("romeo@example.org")).toBe(1);
    const again = new FakeMessengerClient(reopened);
    await again.resume(session);
    expect((await again.getThreads()).find((t) => t.id === FAMILY)).toMatchObject({
      name: "Cousins",
      participantIds: [ALICE],
    });
    const v1 = join(tempDir("fake-cloud-"), FAKE_CLOUD_FILE);
    writeFileSync(
      v1,
      JSON.stringify({ version: 1, accounts: { "a@b": { trusted: true, nextId: 3, sent: {} } } }),
    );
    expect(new FakeCloud({ stateFile: v1 }).logins("a@b")).toBe(0);
  });
});

describe("the fake cloud's files", () => {
  it("serves pictures as valid PNGs per id and version, and nothing for other URLs", async () => {
    const client = new FakeMessengerClient(new FakeCloud());
    await client.login(ME);
    const [alice] = await client.getFriends();
    const png = Buffer.from((await client.downloadImage(alice!.avatarUrl!))!);
    expect(png.equals(fakePng("alice.fb/1", AVATAR_SIZE))).toBe(true);
    expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([AVATAR_SIZE.width, AVATAR_SIZE.height]);
    // The image data inflates to one filter byte and width × 3 bytes per row.
    const idatLength = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString("ascii")).toBe("IDAT");
    const rows = inflateSync(png.subarray(41, 41 + idatLength));
    expect(rows.length).toBe((AVATAR_SIZE.width * 3 + 1) * AVATAR_SIZE.height);
    expect(await client.downloadImage("https://example.org/x.png")).toBeNull();
    const family = (await client.getThreads()).find((t) => t.id === FAMILY)!;
    expect(
      Buffer.from((await client.downloadImage(family.imageUrl!))!).equals(fakePng("family/1", PICTURE_SIZE)),
    ).toBe(true);
  });

  it("makes a voice message of Ogg Opus pages: OpusHead first, the last page ending the stream", () => {
    const ogg = fakeVoiceOgg();
    const pages: { flags: number; granule: bigint; body: Buffer }[] = [];
    for (let at = 0; at < ogg.length; ) {
      expect(ogg.subarray(at, at + 4).toString("ascii")).toBe("OggS");
      const segments = ogg[at + 26]!;
      const size = [...ogg.subarray(at + 27, at + 27 + segments)].reduce((a, b) => a + b, 0);
      const start = at + 27 + segments;
      pages.push({
        flags: ogg[at + 5]!,
        granule: ogg.readBigInt64LE(at + 6),
        body: ogg.subarray(start, start + size),
      });
      at = start + size;
    }
    expect(pages.map((p) => p.flags)).toEqual([0x02, 0, 0x04]);
    expect(pages[0]!.body.subarray(0, 8).toString("ascii")).toBe("OpusHead");
    expect(pages[1]!.body.subarray(0, 8).toString("ascii")).toBe("OpusTags");
    expect(pages[2]!.granule).toBe(48_000n + 312n);
  });

  it("keeps the user's uploads for alice.fb's echo; one it no longer has is an error", async () => {
    const cloud = new FakeCloud();
    const client = new FakeMessengerClient(cloud);
    await client.login(ME);
    const echoed = once(client, "message");
    const bytes = Buffer.from("a small text file");
    await client.sendAttachments(
      ALICE,
      [{ stream: Readable.from([bytes]), fileName: "notes.txt", mimeType: "text/plain", kind: "file" }],
      {},
    );
    const [answer] = await echoed;
    expect(answer.text).toBe("seen: notes.txt");
    expect(answer.attachments).toHaveLength(1);
    const back = await client.downloadAttachment(answer.attachments[0]);
    const chunks: Buffer[] = [];
    for await (const chunk of back) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    await expect(
      client.downloadAttachment({ id: "x", kind: "file", url: "fake://uploads/999/gone.txt" }),
    ).rejects.toThrow("no longer on the fake Messenger cloud");
  });
});
