import {
  biboumiAvailable,
  connectClient,
  FULL_PRIVILEGES,
  type NgircdServer,
  type ProsodyServer,
  registerAccount,
  startNgircd,
  startProsody,
  type TestClient,
} from "@gangway/testing";
import { bench, describe } from "vitest";
import { benchSize, envInt, QUICK, StanzaTap } from "./bench-support.js";
import {
  bareChannel,
  biboumiChannel,
  type ChannelResult,
  type ChannelUnderTest,
  measureChannel,
  oursChannel,
} from "./irc-bench-channel.js";
import { reportIrcChannels } from "./irc-report.js";

/**
 * IRC channel fan-out against one throwaway Prosody and one ngircd on 127.0.0.1:
 * `pnpm --filter @gangway/e2e exec vitest bench --run src/irc-channels.bench.ts` (or `pnpm bench`).
 * Needs Prosody, ngircd, biboumi and the workspace built (`pnpm build`: ours runs from dist).
 *
 * For each target — biboumi (history on, its default; throttling off as in the 1:1 bench), the
 * bare component (the XMPP server's pipe: it sends and reflects groupchat messages itself, with a
 * body only, and again with what a MUC's messages carry: id, markable, origin-id, stanza-id,
 * occupant-id — Prosody's cost per stanza grows with them) and
 * ours (@gangway/irc-gateway in its own Node process on a new SQLite file, `--irc-server` pinned
 * to ngircd) — a fresh XMPP user (xmpp.js) joins the channel #fanout as a room, where a raw IRC
 * bot already is. Then, alternating, ROUNDS times each: N channel PRIVMSGs from the bot to the
 * joined user, and N groupchat messages from the user to the channel, at most WINDOW not yet seen
 * by the receiving side, counting lost, duplicated and reordered ones; CPU of every process
 * sampled around each round. Prints markdown tables and one `BENCH_JSON {…}` line; fails after
 * printing when a message was lost, duplicated or reordered, or a target failed.
 * `GANGWAY_BENCH_QUICK=1` runs a reduced size; `GANGWAY_BENCH_IRC_TARGETS=ours` only that target
 * (with `GANGWAY_BENCH_HOST_NODE_ARGS="--cpu-prof --cpu-prof-dir=…"`, a profile of ours).
 */

const N = benchSize(5000, 500);
/** Messages in flight at most (GANGWAY_BENCH_IRC_WINDOW overrides: is a figure latency-bound?). */
const WINDOW = envInt("GANGWAY_BENCH_IRC_WINDOW", 50);
const ROUNDS = benchSize(3, 1);
const WARMUP = benchSize(200, 50);
const PASSWORD = "pw";

const BIBOUMI = "biboumi.localhost";
const BARE = "echo-irc.localhost";
const BARE_MUC = "echo-muc.localhost";
const OURS = "gangway-irc.localhost";

interface ChannelSpec {
  short: string;
  label: string;
  start(
    prosody: ProsodyServer,
    irc: NgircdServer,
    client: TestClient,
    nick: string,
  ): Promise<ChannelUnderTest>;
}

async function scenario(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const prosody = await startProsody({
      componentDomain: BIBOUMI,
      privileges: false,
      upload: false,
      extraComponents: [
        { domain: BARE, privileges: false },
        { domain: BARE_MUC, privileges: false },
        { domain: OURS, privileges: FULL_PRIVILEGES },
      ],
    });
    cleanups.push(() => prosody.stop());
    const irc = await startNgircd();
    cleanups.push(() => irc.stop());

    const skipped: string[] = [];
    const specs: ChannelSpec[] = [];
    if (biboumiAvailable()) {
      specs.push({
        short: "b",
        label: "biboumi",
        start: (p, i, c, nick) => biboumiChannel(p, i, BIBOUMI, c, nick),
      });
    } else {
      skipped.push("biboumi: skipped (not installed: apt-get install biboumi)");
    }
    specs.push({ short: "e", label: "bare", start: (p, _i, c) => bareChannel(p, BARE, c) });
    specs.push({
      short: "m",
      label: "bare-muc",
      start: (p, _i, c) => bareChannel(p, BARE_MUC, c, { mucStanzas: true }),
    });
    specs.push({ short: "o", label: "ours", start: (p, i, c, nick) => oursChannel(p, i, OURS, c, nick) });

    // GANGWAY_BENCH_IRC_TARGETS=ours,bare (say) runs only those: to profile one without the others.
    const only = process.env.GANGWAY_BENCH_IRC_TARGETS?.split(",").map((t) => t.trim());
    if (only) specs.splice(0, specs.length, ...specs.filter((spec) => only.includes(spec.label)));
    const results: ChannelResult[] = [];
    const failures: string[] = [];
    for (const spec of specs) {
      // One target failing must not hide the others' figures: reported, and it fails the run at the end.
      const username = `fan${spec.short}`;
      let client: TestClient | undefined;
      let channel: ChannelUnderTest | undefined;
      let tap: StanzaTap | undefined;
      try {
        await registerAccount(prosody, username, PASSWORD);
        client = await connectClient({ server: prosody, username, password: PASSWORD });
        channel = await spec.start(prosody, irc, client, username);
        tap = new StanzaTap(client);
        const size = { n: N, window: WINDOW, rounds: ROUNDS, warmup: WARMUP };
        results.push(await measureChannel(channel, client, tap, { prosody, irc }, size, spec.short));
      } catch (error) {
        failures.push(`${spec.label}: ${String(error)}`);
      } finally {
        await tap?.close();
        await channel?.stop().catch(() => {});
        await client?.stop().catch(() => {});
      }
    }

    reportIrcChannels(results, [...skipped, ...failures.map((f) => `FAILED ${f}`)], {
      n: N,
      window: WINDOW,
      rounds: ROUNDS,
      quick: QUICK,
    });
    const broken = results.flatMap((r) =>
      [...r.rounds.xmppToIrc, ...r.rounds.ircToXmpp]
        .filter((d) => d.lost || d.duplicated || d.reordered)
        .map(
          (d) =>
            `${r.name} ${d.direction}: lost ${d.lost}, duplicated ${d.duplicated}, reordered ${d.reordered}`,
        ),
    );
    if (broken.length || failures.length) {
      throw new Error(
        [
          broken.length ? `IRC channel delivery not exact: ${broken.join("; ")}` : "",
          ...failures.map((f) => `target failed: ${f}`),
        ]
          .filter(Boolean)
          .join("\n"),
      );
    }
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  }
}

describe("IRC channel fan-out via a real Prosody and ngircd", () => {
  // vitest 4 runs no beforeAll/afterAll in bench mode: the whole scenario is one iteration.
  bench(`IRC channel → joined user and user → channel (N=${N}, ${ROUNDS} rounds)`, scenario, {
    iterations: 1,
    time: 0,
    warmupIterations: 0,
    warmupTime: 0,
  });
});
