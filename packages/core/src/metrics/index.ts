import type { GatewayConfig } from "../config/config.js";
import { MetricsEndpoint, type MetricsEndpointSubject } from "./http.js";

export type { MetricsConfig } from "./config.js";
export {
  ERROR_PLACES,
  type ErrorPlace,
  GatewayCounts,
  LEGACY_EVENT_KINDS,
  type LegacyEventKind,
  STANZA_KINDS,
} from "./counts.js";
export { checkHealth, type HealthReport } from "./health.js";
export { MetricsEndpoint } from "./http.js";
export { GatewayMetrics, type MetricsSubject } from "./registry.js";
export { timedStore } from "./store-timing.js";
export { CountingTransport } from "./transport.js";

/** Starts the /metrics and /health endpoint when the operator turned it on (`--metrics-port`). */
export function startMetricsEndpoint(
  subject: MetricsEndpointSubject & { readonly config: GatewayConfig },
): Promise<MetricsEndpoint | undefined> {
  const where = subject.config.metrics;
  return where ? MetricsEndpoint.start(subject, where) : Promise.resolve(undefined);
}
