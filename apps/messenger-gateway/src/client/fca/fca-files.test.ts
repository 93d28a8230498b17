import { describe, expect, it } from "vitest";
import { FcaMessengerClient } from "./fca-client.js";
import { type FetchFunction, safeFileName } from "./fca-files.js";
import { FcaCheckpoints } from "./fca-login.js";
import { fakeApi } from "./fixtures/fake-api.js";

/** A fetch that answers from a table of URLs (no network) and records what was asked. */
function fakeFetch(answers: Record<string, () => Response>) {
  const asked: string[] = [];
  const fetchImpl: FetchFunction = async (input) => {
    const url = String(input);
    asked.push(url);
    const answer = answers[url];
    return answer ? answer() : new Response("not found", { status: 404 });
  };
  return { fetchImpl, asked };
}

/** A body of `size` bytes that does not announce its length. */
function unsizedBody(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const chunk = new Uint8Array(Math.min(1024, size - sent)).fill(7);
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

async function client(answers: Record<string, () => Response>, limits = {}) {
  const fake = fakeApi();
  const { fetchImpl, asked } = fakeFetch(answers);
  const c = new FcaMessengerClient({
    login: async () => fake.api,
    checkpoints: new FcaCheckpoints(),
    fetch: fetchImpl,
    ...limits,
  });
  await c.login({ email: "me@example.org", password: "secret" });
  return { client: c, asked };
}

const AVATAR = "https://scontent.xx.fbcdn.net/v/alice.jpg?oh=token";
const VIDEO = "https://video.xx.fbcdn.net/v/clip.mp4?oh=token";

describe("downloads from Facebook's CDN", () => {
  it("downloadImage: the picture's bytes; null when Facebook has none there (404)", async () => {
    const { client: c, asked } = await client({ [AVATAR]: () => new Response(new Uint8Array([1, 2, 3])) });
    expect(await c.downloadImage(AVATAR)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await c.downloadImage("https://scontent.xx.fbcdn.net/v/gone.jpg")).toBeNull();
    expect(asked).toEqual([AVATAR, "https://scontent.xx.fbcdn.net/v/gone.jpg"]);
  });

  it("downloadAttachment: a stream of the file; a removed attachment is an error", async () => {
    const { client: c } = await client({ [VIDEO]: () => new Response("video bytes") });
    const stream = await c.downloadAttachment({ id: "1003", kind: "video", url: VIDEO });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("video bytes");
    await expect(
      c.downloadAttachment({ id: "1", kind: "file", url: "https://cdn.fbsbx.com/v/gone.pdf" }),
    ).rejects.toThrow("no longer has this attachment");
  });

  it("refuses more than the limit, announced or not", async () => {
    const { client: c } = await client(
      {
        [AVATAR]: () => new Response(new Uint8Array(2048), { headers: { "content-length": "2048" } }),
        [VIDEO]: () => new Response(unsizedBody(5000)),
      },
      { maxImageBytes: 1024, maxAttachmentBytes: 4096 },
    );
    await expect(c.downloadImage(AVATAR)).rejects.toThrow("larger than the 1024 bytes allowed");
    const stream = await c.downloadAttachment({ id: "1003", kind: "video", url: VIDEO });
    const read = async () => {
      for await (const _chunk of stream) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow("larger than the 4096 bytes allowed");
  });

  it("fetches only https URLs of Facebook's hosts, and never names the URL in an error", async () => {
    const { client: c, asked } = await client({});
    await expect(c.downloadImage("https://evil.example/fbcdn.net/x.jpg?token=SECRET")).rejects.toThrow(
      "Refusing to download from evil.example",
    );
    await expect(c.downloadImage("http://scontent.xx.fbcdn.net/x.jpg")).rejects.toThrow(
      /not a Facebook host/,
    );
    await expect(c.downloadImage("https://fbcdn.net.evil.example/x.jpg")).rejects.toThrow(
      /not a Facebook host/,
    );
    await expect(c.downloadImage("not a url SECRET")).rejects.toThrow(/^Not a URL/);
    expect(asked).toEqual([]);
  });

  it("a server error is an error naming the host and status only", async () => {
    const { client: c } = await client({ [AVATAR]: () => new Response("oops", { status: 503 }) });
    await expect(c.downloadImage(AVATAR)).rejects.toThrow("Facebook's scontent.xx.fbcdn.net answered 503");
  });
});

describe("upload file names", () => {
  it.each([
    ["cat.jpg", "cat.jpg"],
    ["../../etc/passwd", "passwd"],
    ["C:\\Users\\me\\photo.png", "photo.png"],
    ['evil"\r\nname.txt', "evilname.txt"],
    ["..", "file"],
    ["", "file"],
  ])("%j is uploaded as %j", (given, expected) => {
    expect(safeFileName(given)).toBe(expected);
  });
});
