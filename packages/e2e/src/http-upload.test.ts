import { type Privileges, parsePrivilegeAdvertisement } from "@gangway/core";
import { renderQrPng } from "@gangway/registration";
import { connectClient, type ProsodyServer, registerAccount, startProsody } from "@gangway/testing";
import {
  ComponentTransport,
  type Element,
  NS_HTTP_UPLOAD,
  outOfBandMessage,
  requestUploadSlot,
  type UploadSlot,
  uploadToSlot,
  XmppComponent,
  XmppError,
} from "@gangway/xmpp";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const silent = pino({ level: "silent" });
/** `http_file_share_size_limit` in the config @gangway/testing generates. */
const SIZE_LIMIT = 10 * 1024 * 1024;

describe("XEP-0363 uploads by the gateway component through a real Prosody", () => {
  let prosody: ProsodyServer;
  let component: XmppComponent;
  let uploadService: string;

  beforeAll(async () => {
    prosody = await startProsody();
    if (!prosody.uploadDomain) throw new Error("the Prosody fixture has no upload service");
    uploadService = prosody.uploadDomain;
    const transport = new ComponentTransport({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.componentDomain,
      password: prosody.componentSecret,
      logger: silent,
    });
    component = new XmppComponent(transport, { logger: silent, requestTimeoutMs: 5000 });
    await component.start();
  });
  afterAll(async () => {
    await component?.stop();
    await prosody?.stop();
  });

  const request = (iq: Parameters<XmppComponent["request"]>[0]) => component.request(iq);

  it("gets a slot as the component JID, PUTs a QR code PNG, and the GET URL serves the same bytes", async () => {
    const png = await renderQrPng("gangway-demo:zoë");
    const slot = await requestUploadSlot(request, {
      service: uploadService,
      from: prosody.componentDomain,
      filename: "qr-code.png",
      size: png.length,
      contentType: "image/png",
    });
    expect(new URL(slot.putUrl).origin).toBe(`http://127.0.0.1:${prosody.httpPort}`);
    // Prosody authorizes the PUT with a bearer token and asks for no other header.
    expect(Object.keys(slot.putHeaders)).toEqual(["Authorization"]);
    expect(slot.putHeaders.Authorization).toMatch(/^Bearer \S+$/);

    // Quotas and access rules apply to the requester: it must be the gateway itself, not a user.
    expect(prosody.logs()).toContain(`Issuing upload slot to ${prosody.componentDomain} for`);

    const url = await uploadToSlot(slot, png, "image/png");
    expect(url).toBe(slot.getUrl);

    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);
  });

  it("delivers the uploaded image to a user as an XEP-0066 message with the URL as body", async () => {
    await registerAccount(prosody, "alice", "secret");
    const alice = await connectClient({ server: prosody, username: "alice", password: "secret" });
    try {
      const png = await renderQrPng("https://pair.example.org/?t=1");
      const slot = await requestUploadSlot(request, {
        service: uploadService,
        filename: "qr.png",
        size: png.length,
        contentType: "image/png",
      });
      const url = await uploadToSlot(slot, png, "image/png");
      await component.send(
        outOfBandMessage({
          from: component.domain,
          to: alice.jid,
          id: "qr-e2e",
          url,
          description: "QR code",
        }),
      );
      const received = await alice.waitFor((stanza) => stanza.is("message") && stanza.attrs.id === "qr-e2e");
      expect(received.getChildText("body")).toBe(url);
      expect(received.getChild("x", "jabber:x:oob")?.getChildText("url")).toBe(url);
    } finally {
      await alice.stop();
    }
  });

  it("refuses a file over the size limit with a clear error before any byte is sent", async () => {
    const failure = await requestUploadSlot(request, {
      service: uploadService,
      from: prosody.componentDomain,
      filename: "huge.png",
      size: SIZE_LIMIT + 1,
      contentType: "image/png",
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(XmppError);
    expect((failure as XmppError).condition).toBe("not-acceptable");
    expect((failure as XmppError).text).toBe(
      `File too large (the upload service accepts at most ${SIZE_LIMIT} bytes).`,
    );
  });

  it("rejects a PUT whose size differs from the slot's with the HTTP status", async () => {
    const slot: UploadSlot = await requestUploadSlot(request, {
      service: uploadService,
      filename: "short.png",
      size: 100,
      contentType: "image/png",
    });
    await expect(uploadToSlot(slot, new Uint8Array(99), "image/png")).rejects.toThrow(
      `HTTP upload to http://127.0.0.1:${prosody.httpPort} failed: the server answered HTTP 413`,
    );
  });
});

/** The claims of the JWT Prosody's mod_http_file_share puts in the slot's Authorization header. */
function bearerClaims(slot: UploadSlot): Record<string, unknown> {
  const token = /^Bearer (\S+)$/.exec(slot.putHeaders.Authorization ?? "")?.[1] ?? "";
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
}

describe("XEP-0363 slots requested as the user through an XEP-0356 privileged IQ, real Prosody", () => {
  let prosody: ProsodyServer;
  let component: XmppComponent;
  let advertisement: Promise<Element>;
  let uploadService: string;
  const connect = async (domain: string, secret: string) => {
    const transport = new ComponentTransport({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain,
      password: secret,
      logger: silent,
    });
    const connected = new XmppComponent(transport, { logger: silent, requestTimeoutMs: 5000 });
    // The advertisement comes right after the handshake: listen before start().
    const advertised = new Promise<Element>((resolve) => {
      connected.onMessage(async (stanza) => {
        if (parsePrivilegeAdvertisement(stanza)) resolve(stanza);
      });
    });
    await connected.start();
    return { connected, advertised };
  };

  beforeAll(async () => {
    // A second component with the older grant (no IQ permission), to show the grant is what counts.
    prosody = await startProsody({
      extraComponents: [{ domain: "noiq.localhost", privileges: { roster: "both", message: "outgoing" } }],
    });
    if (!prosody.uploadDomain) throw new Error("the Prosody fixture has no upload service");
    uploadService = prosody.uploadDomain;
    // mod_privilege only wraps for existing local users.
    await prosody.registerUser("alice", "secret");
    ({ connected: component, advertised: advertisement } = await connect(
      prosody.componentDomain,
      prosody.componentSecret,
    ));
  });
  afterAll(async () => {
    await component?.stop();
    await prosody?.stop();
  });

  /** What went out through `request`, to check the privileged path was the one taken. */
  const sent: Element[] = [];
  const request = (iq: Element) => {
    sent.push(iq);
    return component.request(iq);
  };
  const lastSentPrivileged = () => {
    const last = sent.at(-1);
    return (
      last?.attrs.to === "alice@localhost" &&
      last.getChild("privileged_iq", "urn:xmpp:privilege:2") !== undefined
    );
  };

  it("is advertised to the gateway component as an IQ permission for the upload namespace", async () => {
    const privileges = parsePrivilegeAdvertisement(await advertisement) as Privileges;
    expect(privileges).toMatchObject({ namespace: "urn:xmpp:privilege:2", server: prosody.domain });
    expect(privileges.iq).toEqual({ [NS_HTTP_UPLOAD]: "get", "http://jabber.org/protocol/pubsub": "both" });
  });

  it("gets a slot issued to alice@localhost, PUTs a PNG and the GET URL serves the same bytes", async () => {
    const png = await renderQrPng("gangway-demo:alice");
    const logsBefore = prosody.logs().length;
    const slot = await requestUploadSlot(request, {
      service: uploadService,
      from: prosody.componentDomain,
      asUser: "alice@localhost",
      filename: "qr-code.png",
      size: png.length,
      contentType: "image/png",
    });
    // Prosody's quota and access rules applied to alice, not to the component: its log line and
    // the token's subject both name the uploader.
    const logged = prosody.logs().slice(logsBefore);
    expect(logged).toContain("Issuing upload slot to alice@localhost for ");
    expect(logged).not.toContain(`Issuing upload slot to ${prosody.componentDomain}`);
    expect(bearerClaims(slot)).toMatchObject({ sub: "alice@localhost", filesize: png.length });
    expect(lastSentPrivileged()).toBe(true);

    const url = await uploadToSlot(slot, png, "image/png");
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);
  });

  it("surfaces the service's file-too-large refusal, forwarded inside the privileged result, with its text", async () => {
    const logsBefore = prosody.logs().length;
    const failure = await requestUploadSlot(request, {
      service: uploadService,
      asUser: "alice@localhost",
      filename: "huge.png",
      size: SIZE_LIMIT + 1,
      contentType: "image/png",
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(XmppError);
    expect((failure as XmppError).condition).toBe("not-acceptable");
    expect((failure as XmppError).text).toBe(
      `File too large (the upload service accepts at most ${SIZE_LIMIT} bytes).`,
    );
    // The same text as on the direct path, but through the wrapper, not by asking as the component.
    expect(lastSentPrivileged()).toBe(true);
    expect(prosody.logs().slice(logsBefore)).not.toContain("Issuing upload slot");
  });

  it("is refused by the server for a component granted no IQ permission", async () => {
    const second = prosody.components.find((c) => c.domain === "noiq.localhost")!;
    const { connected, advertised } = await connect(second.domain, second.secret);
    try {
      expect(parsePrivilegeAdvertisement(await advertised)?.iq).toEqual({});
      const failure = await requestUploadSlot((iq) => connected.request(iq), {
        service: uploadService,
        asUser: "alice@localhost",
        filename: "qr.png",
        size: 100,
        contentType: "image/png",
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(XmppError);
      expect((failure as XmppError).condition).toBe("forbidden");
      expect((failure as XmppError).text).toBe("you are not allowed to send privileged <IQ> stanzas");
    } finally {
      await connected.stop();
    }
  });
});
