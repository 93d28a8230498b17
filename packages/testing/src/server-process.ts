import { createConnection, createServer } from "node:net";

/**
 * Small helpers shared by the server fixtures (`startProsody`, `startEjabberd`): free loopback
 * ports, "is it listening yet", and a bounded capture of a server's console output.
 */

const LOOPBACK = "127.0.0.1";
/** Cap on captured console output, so a chatty server in a long test cannot eat the heap. */
const MAX_CONSOLE_CHARS = 512 * 1024;

/**
 * Asks the OS for `count` distinct free loopback ports. All probe sockets stay open until every
 * port is picked, so the kernel cannot hand out the same port twice; a collision with another
 * process between here and the server's bind is still possible and is retried by the caller.
 */
export async function pickFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, LOOPBACK, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("unexpected server address");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Resolves true when something accepts a TCP connection on the loopback port. */
export function acceptsConnections(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A server's console output, capped at the most recent 512 KiB. */
export class ConsoleLog {
  #text = "";
  #dropped = 0;

  get length(): number {
    return this.#dropped + this.#text.length;
  }

  append(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > MAX_CONSOLE_CHARS) {
      const excess = this.#text.length - MAX_CONSOLE_CHARS;
      this.#text = this.#text.slice(excess);
      this.#dropped += excess;
    }
  }

  text(): string {
    return this.#dropped > 0 ? `[… ${this.#dropped} earlier characters dropped]\n${this.#text}` : this.#text;
  }

  textSince(offset: number): string {
    return this.#text.slice(Math.max(0, offset - this.#dropped));
  }

  /** The last `lines` lines: enough context for an error message without flooding it. */
  tail(lines: number): string {
    const all = this.#text.trimEnd().split("\n");
    const kept = all.slice(-lines).join("\n");
    return all.length > lines || this.#dropped > 0 ? `[… earlier lines dropped]\n${kept}` : kept;
  }
}
