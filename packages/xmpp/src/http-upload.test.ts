import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { XmppComponent } from "./component.js";
import { type Element, parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import {
  HttpUploadError,
  outOfBandMessage,
  requestUploadSlot,
  type UploadSlot,
  uploadStreamToSlot,
  uploadToSlot,
} from "./http-upload.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { MemoryTransport } from "./test-support/memory-transport.js";

const REQUEST = {
  service: "upload.example.org",
  from: "gw.example.org",
  filename: "qr code.png",
  size: 1234,
  contentType: "image/png",
};

/** A `request` function that records the IQ and answers with `reply` (the result or a rejection). */
function fakeRequest(reply: string | XmppError) {
  const sent: Element[] = [];
  const request = async (iq: Element): Promise<Element> => {
    sent.push(iq);
    if (reply instanceof XmppError) throw reply;
    return parseXml(reply);
  };
  return { sent, request };
}

function slotResult(slotXml: string): string {
  return `<iq type="result" id="u1" from="upload.example.org" to="gw.example.org">${slotXml}</iq>`;
}

const PROSODY_STYLE_SLOT = slotResult(`
  <slot xmlns="urn:xmpp:http:upload:0">
    <get url="https://share.example.org/abc/qr%20code.png"/>
    <put url="https://share.example.org/abc/qr%20code.png">
      <header name="Authorization">Bearer eyJ.token</header>
    </put>
  </slot>`);

describe("requestUploadSlot", () => {
  it("sends exactly one XEP-0363 request IQ and returns the slot", async () => {
    const { sent, request } = fakeRequest(PROSODY_STYLE_SLOT);
    const slot = await requestUploadSlot(request, REQUEST);
    expect(sent.map(String)).toEqual([
      '<iq type="get" to="upload.example.org" from="gw.example.org">' +
        '<request xmlns="urn:xmpp:http:upload:0" filename="qr code.png" size="1234" content-type="image/png"/>' +
        "</iq>",
    ]);
    expect(slot).toEqual({
      putUrl: "https://share.example.org/abc/qr%20code.png",
      putHeaders: { Authorization: "Bearer eyJ.token" },
      getUrl: "https://share.example.org/abc/qr%20code.png",
    });
  });

  it("leaves `from` out when not given, so the IQ caller sends from the component domain", async () => {
    const { sent, request } = fakeRequest(PROSODY_STYLE_SLOT);
    const { from: _, ...withoutFrom } = REQUEST;
    await requestUploadSlot(request, withoutFrom);
    expect(sent[0]?.attrs.from).toBeUndefined();
  });

  it("works with XmppComponent.request: the IQ gets an id, the response is paired by id and sender", async () => {
    const transport = new MemoryTransport("gw.example.org");
    const component = new XmppComponent(transport, {
      logger: captureLogger().logger,
      newId: () => "u1",
      requestTimeoutMs: 1000,
    });
    await component.start();
    const { from: _, ...withoutFrom } = REQUEST;
    const pending = requestUploadSlot((iq) => component.request(iq), withoutFrom);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(String(transport.sent[0])).toBe(
      '<iq type="get" to="upload.example.org" id="u1" from="gw.example.org">' +
        '<request xmlns="urn:xmpp:http:upload:0" filename="qr code.png" size="1234" content-type="image/png"/>' +
        "</iq>",
    );
    transport.receive(parseXml(PROSODY_STYLE_SLOT));
    await expect(pending).resolves.toMatchObject({ getUrl: "https://share.example.org/abc/qr%20code.png" });
  });

  it("keeps only Authorization, Cookie and Expires, whatever their case, without newlines", async () => {
    const { request } = fakeRequest(
      slotResult(`
      <slot xmlns="urn:xmpp:http:upload:0">
        <put url="https://share.example.org/p">
          <header name="authorization">Basic
 QWxhZGRpbjpvcGVuIHNlc2FtZQ==&#13;&#10;X-Injected: 1</header>
          <header name="COOKIE">a=1</header>
          <header name="Cookie">b=2</header>
          <header name="Expires">Thu, 01 Jan 2099 00:00:00 GMT</header>
          <header name="Host">evil.example.org</header>
          <header name="Content-Length">1</header>
          <header name="Transfer-Encoding">chunked</header>
          <header name="X-Custom">x</header>
          <header>nameless</header>
        </put>
        <get url="https://share.example.org/g"/>
      </slot>`),
    );
    const slot = await requestUploadSlot(request, REQUEST);
    expect(slot.putHeaders).toEqual({
      Authorization: "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==X-Injected: 1",
      Cookie: "a=1; b=2",
      Expires: "Thu, 01 Jan 2099 00:00:00 GMT",
    });
  });

  it.each([
    ["no slot at all", ""],
    ["a slot without a get URL", '<slot xmlns="urn:xmpp:http:upload:0"><put url="https://s/p"/></slot>'],
    ["a slot without a put URL", '<slot xmlns="urn:xmpp:http:upload:0"><get url="https://s/g"/></slot>'],
    [
      "a slot of another namespace",
      '<slot xmlns="urn:xmpp:http:upload"><put url="https://s/p"/><get url="https://s/g"/></slot>',
    ],
    [
      "URLs that are not http(s)",
      '<slot xmlns="urn:xmpp:http:upload:0"><put url="file:///etc/passwd"/><get url="javascript:alert(1)"/></slot>',
    ],
    [
      "an unparsable URL",
      '<slot xmlns="urn:xmpp:http:upload:0"><put url="not a url"/><get url="https://s/g"/></slot>',
    ],
  ])("refuses a result with %s as service-unavailable", async (_, slotXml) => {
    const { request } = fakeRequest(slotResult(slotXml));
    const failure = await requestUploadSlot(request, REQUEST).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(XmppError);
    expect((failure as XmppError).condition).toBe("service-unavailable");
    expect((failure as XmppError).text).toBe(
      "The upload service upload.example.org answered without an upload slot (an http(s) PUT and GET URL).",
    );
  });

  it("passes the service's refusal through with its condition and text", async () => {
    const refusal = XmppError.fromStanza(
      parseXml(`<iq type="error" from="upload.example.org"><error type="auth">
        <forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Uploads are for local users only</text>
      </error></iq>`),
    );
    const { request } = fakeRequest(refusal);
    await expect(requestUploadSlot(request, REQUEST)).rejects.toBe(refusal);
  });

  it.each([
    ["XEP-0363's <max-size/>", "max-size"],
    ["Prosody 0.12's <max-file-size/>", "max-file-size"],
  ])("adds the size limit of a file-too-large refusal to its text (%s)", async (_, element) => {
    const refusal = XmppError.fromStanza(
      parseXml(`<iq type="error" from="upload.example.org"><error type="modify">
        <not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">File too large</text>
        <file-too-large xmlns="urn:xmpp:http:upload:0"><${element}>20000</${element}></file-too-large>
      </error></iq>`),
    );
    const { request } = fakeRequest(refusal);
    const failure = (await requestUploadSlot(request, REQUEST).catch((error: unknown) => error)) as XmppError;
    expect(failure).toBeInstanceOf(XmppError);
    expect(failure.condition).toBe("not-acceptable");
    expect(failure.type).toBe("modify");
    expect(failure.text).toBe("File too large (the upload service accepts at most 20000 bytes).");
    expect(failure.cause).toBe(refusal);
  });

  it("passes a timeout of the IQ through", async () => {
    const timeout = new XmppError(
      "remote-server-timeout",
      "No response from upload.example.org within 10 ms.",
    );
    const { request } = fakeRequest(timeout);
    await expect(requestUploadSlot(request, REQUEST)).rejects.toBe(timeout);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses size %s before asking", async (size) => {
    const { sent, request } = fakeRequest(PROSODY_STYLE_SLOT);
    await expect(requestUploadSlot(request, { ...REQUEST, size })).rejects.toThrow(RangeError);
    expect(sent).toEqual([]);
  });
});

describe("requestUploadSlot asUser (XEP-0356 privileged IQ)", () => {
  const AS_ALICE = { ...REQUEST, asUser: "alice@example.org" };

  /** The slot result as mod_privilege forwards it: the upload service's IQ inside the outer result. */
  const forwarded = (innerXml: string) =>
    `<iq type="result" id="o1" from="alice@example.org" to="gw.example.org">` +
    `<privilege xmlns="urn:xmpp:privilege:2"><forwarded xmlns="urn:xmpp:forward:0">${innerXml}</forwarded></privilege></iq>`;

  /** Answers each privileged request with `inner(id)`, `id` being the wrapped IQ's. */
  function privilegedRequest(inner: (id: string) => string) {
    const sent: Element[] = [];
    const request = async (iq: Element): Promise<Element> => {
      sent.push(iq);
      const id = iq.getChild("privileged_iq", "urn:xmpp:privilege:2")?.getChild("iq")?.attrs.id ?? "";
      return parseXml(forwarded(inner(id)));
    };
    return { sent, request };
  }

  const slotFor = (id: string) =>
    `<iq xmlns="jabber:client" type="result" id="${id}" from="upload.example.org" to="alice@example.org">
      <slot xmlns="urn:xmpp:http:upload:0">
        <get url="https://share.example.org/abc/qr%20code.png"/>
        <put url="https://share.example.org/abc/qr%20code.png"><header name="Authorization">Bearer alice.token</header></put>
      </slot></iq>`;

  it("sends the request from the user, wrapped for the server, and returns the forwarded slot", async () => {
    const { sent, request } = privilegedRequest(slotFor);
    const slot = await requestUploadSlot(request, AS_ALICE);
    expect(sent).toHaveLength(1);
    const id = sent[0]?.getChild("privileged_iq")?.getChild("iq")?.attrs.id;
    expect(id).toMatch(/\S/);
    expect(String(sent[0])).toBe(
      '<iq type="get" to="alice@example.org" from="gw.example.org">' +
        '<privileged_iq xmlns="urn:xmpp:privilege:2">' +
        `<iq xmlns="jabber:client" type="get" to="upload.example.org" from="alice@example.org" id="${id}">` +
        '<request xmlns="urn:xmpp:http:upload:0" filename="qr code.png" size="1234" content-type="image/png"/>' +
        "</iq></privileged_iq></iq>",
    );
    expect(slot).toEqual({
      putUrl: "https://share.example.org/abc/qr%20code.png",
      putHeaders: { Authorization: "Bearer alice.token" },
      getUrl: "https://share.example.org/abc/qr%20code.png",
    });
  });

  it("explains the service's file-too-large refusal forwarded inside the outer result", async () => {
    const { request } = privilegedRequest(
      (id) => `<iq xmlns="jabber:client" type="error" id="${id}" from="upload.example.org">
        <error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">File too large</text>
        <file-too-large xmlns="urn:xmpp:http:upload:0"><max-file-size>20000</max-file-size></file-too-large>
        </error></iq>`,
    );
    const failure = (await requestUploadSlot(request, AS_ALICE).catch(
      (error: unknown) => error,
    )) as XmppError;
    expect(failure).toBeInstanceOf(XmppError);
    expect(failure.condition).toBe("not-acceptable");
    expect(failure.text).toBe("File too large (the upload service accepts at most 20000 bytes).");
  });

  it("passes the server's refusal to forward through", async () => {
    const refusal = new XmppError("forbidden", "you are not allowed to send privileged <IQ> stanzas");
    const { request } = fakeRequest(refusal);
    await expect(requestUploadSlot(request, AS_ALICE)).rejects.toBe(refusal);
  });

  it("checks the forwarded answer for a slot as it checks a direct one", async () => {
    const { request } = privilegedRequest(
      (id) => `<iq xmlns="jabber:client" type="result" id="${id}" from="upload.example.org"/>`,
    );
    await expect(requestUploadSlot(request, AS_ALICE)).rejects.toThrow(
      "The upload service upload.example.org answered without an upload slot",
    );
  });

  it("refuses a full JID as the user before asking", async () => {
    const { sent, request } = privilegedRequest(slotFor);
    await expect(
      requestUploadSlot(request, { ...AS_ALICE, asUser: "alice@example.org/phone" }),
    ).rejects.toThrow(RangeError);
    expect(sent).toEqual([]);
  });
});

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A real HTTP server on a free loopback port; `respond` decides the answer to each request. */
async function startHttpServer(
  respond: (received: Received, reply: (status: number, headers?: Record<string, string>) => void) => void,
): Promise<{ base: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      respond(entry, (status, headers = {}) => {
        res.writeHead(status, { "Content-Type": "text/plain", ...headers });
        res.end(`status ${status}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const SECRET = "Bearer top-secret-token";

function slotAt(base: string): UploadSlot {
  return {
    putUrl: `${base}/upload/slot-1/qr.png?sig=also-secret`,
    putHeaders: { Authorization: SECRET, Cookie: "session=cookie-secret" },
    getUrl: `${base}/download/slot-1/qr.png`,
  };
}

describe("uploadToSlot", () => {
  const data = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);

  it("PUTs the bytes with the slot's headers, Content-Type and Content-Length, and returns the GET URL", async () => {
    const { base, received } = await startHttpServer((_, reply) => reply(201));
    const slot = slotAt(base);
    await expect(uploadToSlot(slot, data, "image/png")).resolves.toBe(slot.getUrl);
    expect(received).toHaveLength(1);
    const [put] = received;
    expect(put?.method).toBe("PUT");
    expect(put?.url).toBe("/upload/slot-1/qr.png?sig=also-secret");
    expect(put?.headers.authorization).toBe(SECRET);
    expect(put?.headers.cookie).toBe("session=cookie-secret");
    expect(put?.headers["content-type"]).toBe("image/png");
    expect(put?.headers["content-length"]).toBe(String(data.byteLength));
    expect(put?.body).toEqual(Buffer.from(data));
  });

  it("fails on 413 with the status in the message and no secrets", async () => {
    const { base } = await startHttpServer((_, reply) => reply(413));
    const failure = (await uploadToSlot(slotAt(base), data, "image/png").catch((e: unknown) => e)) as Error;
    expect(failure).toBeInstanceOf(HttpUploadError);
    expect((failure as HttpUploadError).status).toBe(413);
    expect(failure.message).toBe(
      `HTTP upload to ${base} failed: the server answered HTTP 413 Payload Too Large.`,
    );
    for (const secret of ["top-secret-token", "cookie-secret", "also-secret", "slot-1"]) {
      expect(failure.message).not.toContain(secret);
    }
  });

  it("treats a redirect as a failure instead of following it with the credentials", async () => {
    const { base, received } = await startHttpServer((request, reply) =>
      request.url?.startsWith("/elsewhere") ? reply(201) : reply(307, { Location: "/elsewhere" }),
    );
    const failure = await uploadToSlot(slotAt(base), data, "image/png").catch((e: unknown) => e);
    expect((failure as HttpUploadError).status).toBe(307);
    expect(received.map((request) => request.url)).toEqual(["/upload/slot-1/qr.png?sig=also-secret"]);
  });

  it("gives up after timeoutMs when the server does not answer", async () => {
    const { base } = await startHttpServer(() => {
      // never replies
    });
    const started = performance.now();
    const failure = (await uploadToSlot(slotAt(base), data, "image/png", { timeoutMs: 200 }).catch(
      (e: unknown) => e,
    )) as Error;
    const elapsed = performance.now() - started;
    expect(failure).toBeInstanceOf(HttpUploadError);
    expect(failure.message).toBe(`HTTP upload to ${base} timed out after 200 ms.`);
    expect((failure as HttpUploadError).status).toBeUndefined();
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(5000);
  });

  it("reports a refused connection without secrets", async () => {
    const { base, server } = await startHttpServer((_, reply) => reply(201));
    await new Promise((resolve) => server.close(resolve));
    const failure = (await uploadToSlot(slotAt(base), data, "image/png").catch((e: unknown) => e)) as Error;
    expect(failure).toBeInstanceOf(HttpUploadError);
    expect(failure.message).toMatch(new RegExp(`^HTTP upload to ${base} failed: .*ECONNREFUSED`));
    expect(failure.message).not.toContain("secret");
  });
});

describe("outOfBandMessage", () => {
  it("is a chat message whose body is the URL, with the XEP-0066 payload", () => {
    const stanza = outOfBandMessage({
      from: "gw.example.org",
      to: "alice@example.org",
      id: "qr1",
      url: "https://share.example.org/abc/qr.png",
      description: "QR code",
    });
    expect(stanza.toString()).toBe(
      '<message from="gw.example.org" to="alice@example.org" id="qr1" type="chat">' +
        "<body>https://share.example.org/abc/qr.png</body>" +
        '<x xmlns="jabber:x:oob"><url>https://share.example.org/abc/qr.png</url><desc>QR code</desc></x>' +
        "</message>",
    );
  });

  it("leaves out the description when there is none, and escapes the URL", () => {
    const stanza = outOfBandMessage({
      from: "gw.example.org",
      to: "alice@example.org",
      id: "qr2",
      url: "https://share.example.org/a?x=1&y=<2>",
    });
    expect(stanza.toString()).toBe(
      '<message from="gw.example.org" to="alice@example.org" id="qr2" type="chat">' +
        "<body>https://share.example.org/a?x=1&amp;y=&lt;2&gt;</body>" +
        '<x xmlns="jabber:x:oob"><url>https://share.example.org/a?x=1&amp;y=&lt;2&gt;</url></x>' +
        "</message>",
    );
  });

  it("drops characters XML cannot carry from the description", () => {
    const stanza = outOfBandMessage({
      from: "gw.example.org",
      to: "alice@example.org",
      id: "qr3",
      url: "https://share.example.org/q.png",
      description: "QR\u0000 code",
    });
    expect(stanza.getChild("x", "jabber:x:oob")?.getChildText("desc")).toBe("QR code");
  });

  it("refuses a URL that is not http(s)", () => {
    expect(() =>
      outOfBandMessage({
        from: "gw.example.org",
        to: "alice@example.org",
        id: "x",
        url: "javascript:alert(1)",
      }),
    ).toThrow(RangeError);
  });
});

describe("uploadStreamToSlot", () => {
  /** `count` chunks of 64 KiB, each filled with its index, made as they are read. */
  const chunks = (count: number) =>
    Readable.from(
      (function* () {
        for (let i = 0; i < count; i++) yield new Uint8Array(64 * 1024).fill(i);
      })(),
    );

  it("PUTs the stream with the slot's headers and its Content-Length, and returns the GET URL", async () => {
    const { base, received } = await startHttpServer((_, reply) => reply(201));
    const slot = slotAt(base);
    expect(await uploadStreamToSlot(slot, chunks(80), 80 * 64 * 1024, "image/png")).toBe(slot.getUrl);
    const [put] = received;
    expect(put!.method).toBe("PUT");
    expect(put!.url).toBe("/upload/slot-1/qr.png?sig=also-secret");
    expect(put!.headers).toMatchObject({
      authorization: SECRET,
      cookie: "session=cookie-secret",
      "content-type": "image/png",
      "content-length": String(80 * 64 * 1024),
    });
    expect(put!.headers["transfer-encoding"]).toBeUndefined();
    expect(put!.body.length).toBe(80 * 64 * 1024);
    expect(put!.body[79 * 64 * 1024]).toBe(79);
  });

  it("fails on a stream longer or shorter than announced, without naming the slot's path", async () => {
    const { base } = await startHttpServer((_, reply) => reply(201));
    await expect(uploadStreamToSlot(slotAt(base), chunks(3), 2 * 64 * 1024, "image/png")).rejects.toThrow(
      `HTTP upload to ${base} failed: the file is larger than announced.`,
    );
    await expect(uploadStreamToSlot(slotAt(base), chunks(1), 2 * 64 * 1024, "image/png")).rejects.toThrow(
      `HTTP upload to ${base} failed: the file is smaller than announced.`,
    );
  });

  it("reports the server's refusal with its status", async () => {
    const { base } = await startHttpServer((_, reply) => reply(413));
    const failure = await uploadStreamToSlot(slotAt(base), chunks(2), 2 * 64 * 1024, "image/png").catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HttpUploadError);
    expect((failure as HttpUploadError).status).toBe(413);
    expect(String(failure)).not.toContain("secret");
  });

  it("gives up when nothing moves for idleMs", async () => {
    const { base } = await startHttpServer(() => {}); // reads the body, never answers
    await expect(
      uploadStreamToSlot(slotAt(base), chunks(1), 64 * 1024, "image/png", { idleMs: 200 }),
    ).rejects.toThrow(`HTTP upload to ${base} timed out: nothing moved for 200 ms.`);
  });
});
