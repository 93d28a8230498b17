// @xmpp/client and @xmpp/component ship no type declarations. These cover only what
// @gangway/testing calls; their elements are @xmpp/xml (ltx) elements, like @gangway/xmpp's.

declare module "@xmpp/client" {
  import type { Element } from "@gangway/xmpp";

  export interface XmppJsClient {
    readonly jid: { toString(): string } | null;
    readonly reconnect: { stop(): void };
    readonly iqCaller: { request(iq: Element, timeoutMs?: number): Promise<Element> };
    readonly iqCallee: {
      set(namespace: string, name: string, handler: (context: { stanza: Element }) => unknown): void;
    };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(stanza: Element): Promise<void>;
    on(event: "stanza", listener: (stanza: Element) => void): void;
    on(event: "error", listener: (error: Error) => void): void;
  }

  export type Authenticate = (
    credentials: { username: string; password: string },
    mechanism: string,
  ) => Promise<void>;

  export function client(options: {
    service: string;
    domain: string;
    resource?: string;
    credentials: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;
  }): XmppJsClient;
}

declare module "@xmpp/component" {
  import type { Element } from "@gangway/xmpp";

  export interface XmppJsComponent {
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(stanza: Element): Promise<void>;
    on(event: "stanza", listener: (stanza: Element) => void): void;
    on(event: "error", listener: (error: Error) => void): void;
  }

  export function component(options: { service: string; domain: string; password: string }): XmppJsComponent;
}
