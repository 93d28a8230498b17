import { createRequire } from "node:module";
import type { TransportStatus } from "@gangway/xmpp";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { CONNECTION_STATES, type ConnectionState } from "../connection.js";
import {
  ERROR_PLACES,
  GatewayCounts,
  LEGACY_EVENT_KINDS,
  STANZA_KINDS,
  type StanzaCounts,
} from "./counts.js";
import { StoreLatency } from "./store-latency.js";
import type { StoreObserver } from "./store-timing.js";

/** What the metrics read from the gateway when Prometheus scrapes (nothing before). */
export interface MetricsSubject {
  readonly sessions: {
    readonly size: number;
    values(): Iterable<{ readonly connectionState: ConnectionState }>;
  };
  readonly component: { readonly status: TransportStatus };
  readonly meta: { readonly COMPONENT_TYPE: string };
  readonly config: { readonly version?: string };
}

const require = createRequire(import.meta.url);
const CORE_VERSION = (require("../../package.json") as { version: string }).version;

/** A counter series brought up to a plain count at each scrape (see counts.ts). */
interface Mirror {
  read(): number;
  inc(by: number): void;
  reported: number;
}

/**
 * One gateway's metrics, in its own registry (never prom-client's global one: several gateways
 * may run in one process, tests do). The hot-path counts are plain numbers in `counts`; gauges
 * are computed from the gateway when scraped. See the core README, "Operations".
 */
export class GatewayMetrics {
  readonly counts = new GatewayCounts();
  readonly registry = new Registry();
  /** Times the store calls (see timedStore); the gateway uses it when the endpoint is on. */
  readonly store: StoreObserver;
  #processMetrics = false;

  constructor(subject: MetricsSubject) {
    const { registry, counts } = this;
    const storeSeconds = new StoreLatency(registry);
    this.store = {
      timing: (operation) => storeSeconds.timing(operation),
      failed: () => counts.errors.count("store"),
    };

    new Gauge({
      name: "gangway_info",
      help: "Always 1; the labels tell the gateway's version and network",
      labelNames: ["version", "network"],
      registers: [registry],
      collect() {
        this.set(
          { version: subject.config.version ?? CORE_VERSION, network: subject.meta.COMPONENT_TYPE },
          1,
        );
      },
    });
    new Gauge({
      name: "gangway_component_online",
      help: "1 while the component's stream to the XMPP server is up, else 0",
      registers: [registry],
      collect() {
        this.set(subject.component.status === "online" ? 1 : 0);
      },
    });
    new Gauge({
      name: "gangway_users",
      help: "Registered users (each has a session)",
      registers: [registry],
      collect() {
        this.set(subject.sessions.size);
      },
    });
    new Gauge({
      name: "gangway_sessions",
      help: "Sessions by the state of their connection to the legacy network",
      labelNames: ["state"],
      registers: [registry],
      collect() {
        const byState = new Map<ConnectionState, number>(CONNECTION_STATES.map((state) => [state, 0]));
        for (const session of subject.sessions.values()) {
          byState.set(session.connectionState, (byState.get(session.connectionState) ?? 0) + 1);
        }
        for (const [state, count] of byState) this.set({ state }, count);
      },
    });

    const stanzaSeries = (direction: string, from: StanzaCounts) =>
      STANZA_KINDS.map((kind): Series => [[direction, kind], () => from[kind]]);
    mirroredCounter(registry, {
      name: "gangway_stanzas_total",
      help: "Stanzas the component received (direction in) and sent (out), by kind",
      labelNames: ["direction", "kind"],
      series: [...stanzaSeries("in", counts.stanzasIn), ...stanzaSeries("out", counts.stanzasOut)],
    });
    mirroredCounter(registry, {
      name: "gangway_legacy_events_total",
      help: "Events from the legacy network relayed to users, by kind",
      labelNames: ["kind"],
      series: LEGACY_EVENT_KINDS.map((kind): Series => [[kind], () => counts.legacyEvents.get(kind)]),
    });
    mirroredCounter(registry, {
      name: "gangway_errors_total",
      help: "Errors, by where they happened",
      labelNames: ["where"],
      series: ERROR_PLACES.map((where): Series => [[where], () => counts.errors.get(where)]),
    });
  }

  /**
   * Adds prom-client's process metrics (CPU, memory, event-loop lag from `monitorEventLoopDelay`,
   * GC, handles) to this registry. Once; the endpoint does it when it starts.
   */
  collectProcessMetrics(): void {
    if (this.#processMetrics) return;
    this.#processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** The Prometheus text exposition of every metric, computed now. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** One labelled series of a mirrored counter: its label values, and how to read its count. */
type Series = [labels: string[], read: () => number];

/**
 * A prom-client counter brought up to plain counts when scraped (its `collect` runs before it is
 * read). Every series exists, at 0, from the start: a rate over it is defined before the first event.
 */
function mirroredCounter(
  registry: Registry,
  spec: { name: string; help: string; labelNames: string[]; series: readonly Series[] },
): void {
  const mirrors: Mirror[] = [];
  const counter = new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    collect() {
      for (const one of mirrors) {
        const now = one.read();
        if (now > one.reported) one.inc(now - one.reported);
        one.reported = now;
      }
    },
  });
  for (const [labels, read] of spec.series) {
    const child = counter.labels(...labels);
    child.inc(0);
    mirrors.push({ read, inc: (by) => child.inc(by), reported: 0 });
  }
}
