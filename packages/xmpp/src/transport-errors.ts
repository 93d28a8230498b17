import type { UserFacingFailure } from "./errors.js";

export type TransportErrorCode =
  /** The server refused the component secret. */
  | "not-authorized"
  /** Another connection already holds this component domain. */
  | "conflict"
  /** The server has no component with this domain. */
  | "host-unknown"
  /** `send()` while the outbound queue is at capacity. */
  | "queue-full"
  /** `send()` after `stop()`, or a queued stanza / pending `start()` cut off by `stop()`. */
  | "stopped"
  /** `send()` of a stanza over `maxStanzaBytes`: never queued (see {@link StanzaTooLargeError}). */
  | "too-large";

/** A connection-level failure of {@link ComponentTransport} (stanza errors are `XmppError`). */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A stanza refused by `send()` because its serialized size is over the transport's limit: the
 * server would close the stream on it (and a queued one would do so again after each reconnect).
 */
export class StanzaTooLargeError extends TransportError implements UserFacingFailure {
  /** Thrown by a handler (say, while answering), it becomes this error reply: see `toXmppError`. */
  readonly xmppCondition = "policy-violation";
  constructor(
    /** Its serialized size, in UTF-8 bytes. */
    readonly bytes: number,
    /** The limit it is over (`maxStanzaBytes`). */
    readonly limit: number,
  ) {
    super("too-large", `stanza of ${bytes} bytes is over the ${limit}-byte limit; not sent`);
  }

  get userText(): string {
    return `The answer is too large to send: ${this.bytes} bytes, over this gateway's limit of ${this.limit} bytes per stanza.`;
  }
}

/** Why the first connection can never succeed, said so the operator knows what to fix. */
export function fatalStartError(
  condition: string,
  cause: unknown,
  service: string,
  domain: string,
): TransportError {
  switch (condition) {
    case "not-authorized":
      return new TransportError(
        "not-authorized",
        `the server at ${service} refused the secret for component ${domain}; check the component secret in the server configuration`,
        { cause },
      );
    case "conflict":
      return new TransportError(
        "conflict",
        `another component is already connected as ${domain} at ${service}; only one connection per component domain is possible`,
        { cause },
      );
    default:
      return new TransportError(
        "host-unknown",
        `the server at ${service} has no component ${domain} configured`,
        { cause },
      );
  }
}

/** The condition of an xmpp.js StreamError (e.g. `not-authorized`), if `err` is one. */
export function streamErrorCondition(err: unknown): string | undefined {
  if (err instanceof Error && err.name === "StreamError") {
    const { condition } = err as Error & { condition?: unknown };
    return typeof condition === "string" ? condition : undefined;
  }
  return undefined;
}

/** Message and name only: xmpp.js errors carry elements and sockets that make noisy logs. */
export function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error
    ? { name: err.name, message: err.message }
    : { name: "Error", message: String(err) };
}
