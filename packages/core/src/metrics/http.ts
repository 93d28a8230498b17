import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { checkHealth, type HealthSubject } from "./health.js";
import type { GatewayMetrics } from "./registry.js";

/** What the endpoint serves: one gateway's metrics and what its health check looks at. */
export interface MetricsEndpointSubject extends HealthSubject {
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
}

/**
 * The operator's endpoint (`--metrics-port`): `GET /metrics` (Prometheus text format) and
 * `GET /health` (200 when ready, 503 with the failing part), nothing else. Plain HTTP on loopback
 * by default: a scraper or a supervisor on the same host, or behind a proxy the operator runs.
 */
export class MetricsEndpoint {
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(
    subject: MetricsEndpointSubject,
    where: { port: number; host: string },
  ): Promise<MetricsEndpoint> {
    subject.metrics.collectProcessMetrics();
    const server = createServer((request, response) => {
      serve(subject, request, response).catch((err: unknown) => {
        subject.log.warn({ err }, "the metrics endpoint could not answer");
        if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
        response.end("internal error\n");
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(where.port, where.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const endpoint = new MetricsEndpoint(server);
    subject.log.info({ host: where.host, port: endpoint.port }, "metrics and health endpoint listening");
    return endpoint;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Stops listening and ends the open connections (a scraper's keep-alive must not hold a stop). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

async function serve(
  subject: MetricsEndpointSubject,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? "/").split("?", 1)[0];
  const method = request.method ?? "GET";
  const known = path === "/metrics" || path === "/health";
  if (!known)
    return answer(response, 404, "text/plain; charset=utf-8", "not found: try /metrics or /health\n");
  if (method !== "GET" && method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    return answer(response, 405, "text/plain; charset=utf-8", "method not allowed: use GET\n");
  }
  if (path === "/metrics") {
    const text = await subject.metrics.text();
    return answer(response, 200, subject.metrics.registry.contentType, text, method);
  }
  const report = await checkHealth(subject);
  const code = report.status === "ok" ? 200 : 503;
  return answer(response, code, "application/json", `${JSON.stringify(report)}\n`, method);
}

function answer(response: ServerResponse, code: number, type: string, body: string, method = "GET"): void {
  response.writeHead(code, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  response.end(method === "HEAD" ? undefined : body);
}
