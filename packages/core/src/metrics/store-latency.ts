import type { Registry } from "prom-client";

/** Store call durations, in seconds: from a cached read (sub-millisecond) to an outage's retries. */
export const STORE_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** One operation's observations: a count per bucket (not cumulative: the last is +Inf), sum, count. */
interface Series {
  readonly operation: string;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * `gangway_store_seconds`, a Prometheus histogram by `operation`, kept in plain arrays: an
 * observation is a short scan and two additions (prom-client's own histogram hashes the labels
 * on every call, a microsecond or two that every store call would pay). The exposition is built
 * when scraped, in prom-client's format, from the registry the metric is registered in.
 */
export class StoreLatency {
  readonly name = "gangway_store_seconds";
  readonly help = "Duration of the store (database) calls the gateway makes, by repository and method";
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #series: Series[] = [];

  constructor(registry: Registry) {
    registry.registerMetric(this as unknown as Parameters<Registry["registerMetric"]>[0]);
  }

  /** The observer of one operation (`users.get`): call it once, keep the function. */
  timing(operation: string): (seconds: number) => void {
    const series: Series = {
      operation,
      buckets: new Float64Array(STORE_BUCKETS.length + 1),
      sum: 0,
      count: 0,
    };
    this.#series.push(series);
    return (seconds) => {
      let index = 0;
      while (index < STORE_BUCKETS.length && seconds > (STORE_BUCKETS[index] as number)) index++;
      series.buckets[index] = (series.buckets[index] ?? 0) + 1;
      series.sum += seconds;
      series.count++;
    };
  }

  /** What prom-client's registry reads to write the exposition. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    for (const { operation, buckets, sum, count } of this.#series) {
      let cumulative = 0;
      for (const [index, bound] of [...STORE_BUCKETS, "+Inf" as const].entries()) {
        cumulative += buckets[index] ?? 0;
        values.push({
          labels: { le: bound, operation },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels: { operation }, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: { operation }, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
