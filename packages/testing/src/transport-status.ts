import type { StanzaTransport, TransportStatus } from "@gangway/xmpp";

/** Resolves once the transport reports `status` (at once if it already has), or rejects after the timeout. */
export function waitForStatus(
  transport: StanzaTransport,
  status: TransportStatus,
  timeoutMs = 20_000,
): Promise<void> {
  if (transport.status === status) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`transport did not become ${status} within ${timeoutMs} ms (is ${transport.status})`));
    }, timeoutMs);
    const off = transport.onStatus((current) => {
      if (current !== status) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
