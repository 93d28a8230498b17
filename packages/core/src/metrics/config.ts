import { z } from "zod";

/** The metrics and health endpoint (`--metrics-port`); undefined in the config when it is off. */
export interface MetricsConfig {
  port: number;
  /** The address it listens on: loopback unless the operator says otherwise. */
  host: string;
}

export const METRICS_OPTIONS = [
  {
    name: "metrics-port",
    description: "serve Prometheus metrics at /metrics and a health check at /health on this port (0: off)",
    default: "0",
  },
  {
    name: "metrics-host",
    description: "address the metrics endpoint listens on",
    default: "127.0.0.1",
  },
] as const;

/** The metrics endpoint's schemas, keyed by the camel-case names the config parser uses. */
export const metricsSchema = {
  metricsPort: z.coerce
    .number({ error: "must be a port number" })
    .int("must be a port number")
    .min(0, "must be between 0 (off) and 65535")
    .max(65535, "must be between 0 (off) and 65535"),
  metricsHost: z.string().min(1, "must not be empty"),
};

export function metricsFrom(data: { metricsPort: number; metricsHost: string }): MetricsConfig | undefined {
  return data.metricsPort === 0 ? undefined : { port: data.metricsPort, host: data.metricsHost };
}
