import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay that holds every chunk `delayMs` before passing it on, both ways: a database far
 * away. When the client side goes away (a killed process), what it had sent and the relay still
 * holds is dropped, as if it never left the dying machine: only what the server received counts.
 */
export interface SlowLink {
  /** Where to connect instead of the target. */
  readonly port: number;
  close(): Promise<void>;
}

export async function startSlowLink(
  target: { host: string; port: number },
  delayMs: number,
): Promise<SlowLink> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client);
    sockets.add(upstream);
    let open = true;
    const closeBoth = () => {
      open = false;
      client.destroy();
      upstream.destroy();
    };
    // Timers of equal delay fire in the order they were set: chunks keep their order.
    const relay = (from: Socket, to: Socket) =>
      from.on("data", (chunk) => {
        setTimeout(() => {
          if (open) to.write(chunk);
        }, delayMs);
      });
    relay(client, upstream);
    relay(upstream, client);
    // The client gone: drop what it sent and the relay still holds (closeBoth clears `open`).
    client.on("close", closeBoth);
    client.on("error", closeBoth);
    // The server closing: let its last answers reach the client first.
    upstream.on("close", () => setTimeout(closeBoth, delayMs));
    upstream.on("error", () => setTimeout(closeBoth, delayMs));
    for (const socket of [client, upstream]) socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the slow link has no port");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
