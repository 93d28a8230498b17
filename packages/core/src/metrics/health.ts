import type { TransportStatus } from "@gangway/xmpp";

/** How long the store gets to answer the health check's trivial query. */
export const STORE_CHECK_TIMEOUT_MS = 2000;

/** What the health check looks at. */
export interface HealthSubject {
  readonly component: { readonly status: TransportStatus };
  readonly store: { healthCheck(): Promise<void> };
}

export interface HealthReport {
  /** `ok` when both parts are; `unavailable` otherwise. */
  status: "ok" | "unavailable";
  /** The component's stream to the XMPP server: `online`, or where it stands instead. */
  component: TransportStatus;
  /** `ok`: answered a trivial query; `failed`: refused or errored; `timeout`: no answer in time. */
  store: "ok" | "failed" | "timeout";
}

/**
 * Ready means: the component is online, and the database answers a trivial query within
 * `timeoutMs`. The report says which part fails; it names no host, user or error text.
 */
export async function checkHealth(
  subject: HealthSubject,
  timeoutMs = STORE_CHECK_TIMEOUT_MS,
): Promise<HealthReport> {
  const component = subject.component.status;
  const store = await storeAnswers(subject.store, timeoutMs);
  const status = component === "online" && store === "ok" ? "ok" : "unavailable";
  return { status, component, store };
}

async function storeAnswers(
  store: HealthSubject["store"],
  timeoutMs: number,
): Promise<HealthReport["store"]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    return await Promise.race([
      store.healthCheck().then(
        () => "ok" as const,
        () => "failed" as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
