import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import xmppXml from "@xmpp/xml";
import type { Element } from "../element.js";

export interface FakeComponentServerOptions {
  domain: string;
  secret: string;
  /** Answer XEP-0199 pings addressed to the server (default true). */
  answerPings?: boolean;
  /** Refuse every handshake with this stream error instead of checking the secret. */
  refuseWith?: "conflict" | "host-unknown";
}

/**
 * A tiny XEP-0114 server for unit tests: accepts the stream, checks the handshake, records what
 * the component sends and lets the test push stanzas, drop connections or restart.
 */
export class FakeComponentServer {
  /** Stanzas received from the component (after the handshake), in order. */
  readonly received: Element[] = [];
  connections = 0;
  port = 0;
  /** Whether pings to the server are answered now; a test turns it off to play a server that stalls. */
  answerPings: boolean;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private current: Socket | undefined;
  private streamCounter = 0;

  constructor(private readonly options: FakeComponentServerOptions) {
    this.answerPings = options.answerPings ?? true;
  }

  get service(): string {
    return `xmpp://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    const address = server.address();
    if (address && typeof address === "object") this.port = address.port;
  }

  /** Stops listening and cuts every connection without a stream close (like a crash). */
  async crash(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.current = undefined;
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sends raw XML to the connected component. */
  push(text: string): void {
    if (!this.current) throw new Error("no component connected");
    this.current.write(text);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the fake server condition");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private accept(socket: Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
    const streamId = `stream-${++this.streamCounter}`;
    const parser = new xmppXml.Parser();
    let authenticated = false;
    parser.on("start", () => {
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' ` +
          `xmlns='jabber:component:accept' from='${this.options.domain}' id='${streamId}'>`,
      );
    });
    parser.on("end", () => {
      socket.end("</stream:stream>");
    });
    parser.on("element", (element: Element) => {
      if (!authenticated) {
        const expected = createHash("sha1")
          .update(streamId + this.options.secret)
          .digest("hex");
        const refusal =
          this.options.refuseWith ?? (element.text() === expected ? undefined : "not-authorized");
        if (refusal) {
          socket.end(
            `<stream:error><${refusal} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`,
          );
          return;
        }
        authenticated = true;
        this.current = socket;
        socket.write("<handshake/>");
        return;
      }
      const ping = element.getChild("ping", "urn:xmpp:ping");
      if (element.name === "iq" && ping && !element.attrs.to?.includes(this.options.domain)) {
        if (this.answerPings) {
          socket.write(
            `<iq type='result' id='${element.attrs.id}' from='${element.attrs.to}' to='${element.attrs.from}'/>`,
          );
        }
        return;
      }
      this.received.push(element);
    });
    socket.on("data", (data) => parser.write(data.toString("utf8")));
  }
}
