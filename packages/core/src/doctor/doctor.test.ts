import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { MemoryTransport } from "@gangway/testing";
import type { Element, FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LegacyContact } from "../contact.js";
import { BaseGateway } from "../gateway.js";
import { BaseSession } from "../session.js";
import { sayToGateway, startTestGateway, testGatewayDependencies } from "../testing/index.js";
import { runCheck, takeCheckFlag } from "./cli-check.js";

/**
 * The `doctor` command on the memory transport: the test plays the server (its privilege
 * advertisement, its disco#info and disco#items answers) and reads the report an admin gets.
 */

const GW = "gw.localhost";
const SERVER = "localhost";
const ADMIN = "admin@localhost";
const USER = "romeo@localhost";
const MAM = "urn:xmpp:mam:2";
const UPLOAD = "urn:xmpp:http:upload:0";

class DoctorSession extends BaseSession<DoctorGateway, LegacyContact> {
  static override Contact = LegacyContact;
}
class DoctorGateway extends BaseGateway<DoctorSession> {
  static override COMPONENT_TYPE = "test";
  readonly Session = DoctorSession;
  override async validate(_jid: string, _form: FormValues) {}
}

/** What the pretend server says about each JID: its disco#info features, items; absent = an error. */
interface ServerWorld {
  info: Record<string, string[]>;
  items?: string[];
}

/** Answers every disco IQ the gateway sends, as `world` says, right after it is sent. */
function playServer(transport: MemoryTransport, world: ServerWorld): void {
  const send = transport.send.bind(transport);
  transport.send = async (stanza: Element) => {
    await send(stanza);
    const query = stanza.is("iq") && stanza.attrs.type === "get" ? stanza.getChild("query") : undefined;
    if (!query) return;
    const { id, to } = stanza.attrs;
    const features = to === undefined ? undefined : world.info[to];
    const reply =
      query.attrs.xmlns === "http://jabber.org/protocol/disco#info" && features
        ? `<query xmlns="${query.attrs.xmlns}">${features.map((f: string) => `<feature var="${f}"/>`).join("")}</query>`
        : query.attrs.xmlns === "http://jabber.org/protocol/disco#items" && to === SERVER && world.items
          ? `<query xmlns="${query.attrs.xmlns}">${world.items.map((j) => `<item jid="${j}"/>`).join("")}</query>`
          : undefined;
    queueMicrotask(() => {
      void transport.inject(
        reply === undefined
          ? `<iq type="error" id="${id}" from="${to}" to="${GW}"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`
          : `<iq type="result" id="${id}" from="${to}" to="${GW}">${reply}</iq>`,
      );
    });
  };
}

const FULL_GRANT = `<message from="${SERVER}" to="${GW}"><privilege xmlns="urn:xmpp:privilege:2">
  <perm access="roster" type="both"/><perm access="message" type="outgoing"/>
  <perm access="iq"><namespace ns="http://jabber.org/protocol/pubsub" type="both"/></perm>
  <perm access="iq"><namespace ns="${UPLOAD}" type="get"/></perm></privilege></message>`;

forEachDriver((driver) => {
  let store: Store;
  let gateway: DoctorGateway;
  let transport: MemoryTransport;

  beforeEach(async () => {
    store = await driver.openStore();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  async function start(world: ServerWorld, advertisement?: string, args: string[] = []) {
    ({ gateway, transport } = await startTestGateway(DoctorGateway, store, {
      domain: GW,
      args: ["--admins", ADMIN, ...args],
    }));
    playServer(transport, world);
    if (advertisement) await transport.inject(advertisement);
  }

  const doctor = async (from = ADMIN) => (await sayToGateway(transport, from, "doctor")).join("\n");

  it("reports every check granted when the server grants and offers everything", async () => {
    await start(
      { info: { [SERVER]: [MAM], "upload.localhost": [UPLOAD] }, items: ["upload.localhost"] },
      FULL_GRANT,
    );
    const lines = (await doctor()).split("\n");
    expect(lines[0]).toBe(`Gangway doctor for ${GW}`);
    expect(lines.slice(1)).toEqual([
      `✓ Component connection: online as ${GW} at 127.0.0.1:5347`,
      `✓ Database: ${store.driver} answers; its schema was brought up to date when the gateway opened it`,
      "✓ XEP-0356 roster privilege: both",
      "✓ XEP-0356 message privilege: outgoing",
      "✓ XEP-0356 pubsub IQ privilege (bookmarks): http://jabber.org/protocol/pubsub: both",
      `✓ XEP-0356 upload IQ privilege: ${UPLOAD}: get`,
      `✓ XEP-0363 upload service: upload.localhost (listed by ${SERVER})`,
      `✓ MAM (XEP-0313) for users: ${SERVER} lists ${MAM}`,
      "Everything the gateway uses is granted.",
    ]);
  });

  it("names what is missing, what it costs and the Prosody and ejabberd lines that fix it", async () => {
    await start({ info: { [SERVER]: ["jabber:iq:roster"] } });
    const lines = (await doctor()).split("\n");
    const line = (name: string) => lines.find((l) => l.includes(` ${name}:`)) ?? "";
    expect(line("XEP-0356 roster privilege")).toMatch(
      /^✗ .*not granted \(the server sent no XEP-0356 advertisement\) — without it, contacts are offered as subscription requests/,
    );
    expect(line("XEP-0356 roster privilege")).toContain(
      `Prosody: privileged_entities = { ["${GW}"] = { roster = "both" } }`,
    );
    expect(line("XEP-0356 roster privilege")).toContain(
      "ejabberd: modules: mod_privilege: roster: both: gateway_priv",
    );
    expect(line("XEP-0356 message privilege")).toContain('message = "outgoing"');
    expect(line("XEP-0356 pubsub IQ privilege (bookmarks)")).toContain("XEP-0249 invitation");
    expect(line("XEP-0356 pubsub IQ privilege (bookmarks)")).toContain("ejabberd 23.01 has no IQ permission");
    expect(line("XEP-0363 upload service")).toMatch(
      /^✗ .*none: localhost lists none and --upload-service is not set/,
    );
    expect(line("XEP-0363 upload service")).toContain(
      'Prosody: Component "upload.localhost" "http_file_share"',
    );
    // The server does not list MAM on its JID and no account answered: it cannot tell.
    expect(line("MAM (XEP-0313) for users")).toMatch(/^\? /);
    expect(lines.at(-1)).toBe("5 of 8 checks found something missing.");
  });

  it("reads MAM from a registered user's account when the server lists it there only (Prosody)", async () => {
    await store.users.create({ jid: USER, registration: {} });
    await start({ info: { [SERVER]: [], [USER]: [MAM] } }, FULL_GRANT);
    expect(await doctor()).toContain(`✓ MAM (XEP-0313) for users: ${USER}'s account lists ${MAM}`);
  });

  it("says MAM is missing when an account answers without it", async () => {
    await start({ info: { [SERVER]: [], [ADMIN]: ["jabber:iq:roster"] } }, FULL_GRANT);
    const report = await doctor();
    expect(report).toContain(`✗ MAM (XEP-0313) for users: ${ADMIN}'s account does not list ${MAM}`);
    expect(report).toContain("ejabberd: modules: mod_mam: default: always");
  });

  it("tells an ejabberd 23.01 grant (privilege:1) from a missing one, and checks --upload-service", async () => {
    await start(
      { info: { [SERVER]: [MAM], "files.localhost": ["jabber:iq:version"] } },
      `<message from="${SERVER}" to="${GW}"><privilege xmlns="urn:xmpp:privilege:1">
        <perm access="roster" type="both"/><perm access="message" type="outgoing"/></privilege></message>`,
      ["--upload-service", "files.localhost"],
    );
    const report = await doctor();
    expect(report).toContain("✓ XEP-0356 roster privilege: both");
    expect(report).toContain(
      "✗ XEP-0356 pubsub IQ privilege (bookmarks): not granted (the server speaks urn:xmpp:privilege:1, which has no IQ permission)",
    );
    expect(report).toContain(
      "✗ XEP-0363 upload service: --upload-service files.localhost does not answer as an upload service",
    );
  });

  it("is for admins only: anyone else is refused and the server is not asked", async () => {
    await start({ info: { [SERVER]: [MAM] } }, FULL_GRANT);
    const before = transport.sent.length;
    const answer = await doctor(USER);
    expect(answer).not.toContain("Gangway doctor");
    expect(answer).toContain("Only the gateway's administrators can run this command.");
    expect(transport.sent.slice(before).some((s) => s.is("iq"))).toBe(false);
  });
});

describe("--check", () => {
  it("takes the flag out of the arguments the configuration parser reads", () => {
    expect(takeCheckFlag(["--jid", GW, "--check", "--port", "5347"])).toEqual({
      check: true,
      argv: ["--jid", GW, "--port", "5347"],
    });
    expect(takeCheckFlag(["--jid", GW]).check).toBe(false);
  });

  forEachDriver((driver) => {
    const codes = { cannotConnect: 3, missing: 4 };

    /** A gateway that is built, not started, as --check has it; `connect` replaces the transport's start. */
    async function checked(world: ServerWorld, connect: (transport: MemoryTransport) => Promise<void>) {
      const store = await driver.openStore();
      const transport = new MemoryTransport({ domain: GW });
      const start = transport.start.bind(transport);
      transport.start = async () => {
        await start();
        await connect(transport);
      };
      playServer(transport, world);
      const deps = testGatewayDependencies(DoctorGateway, store, transport, { domain: GW });
      const gateway = new DoctorGateway(deps);
      const out: string[] = [];
      const code = await runCheck(gateway, store, deps.config, deps.logger, codes, (text) => out.push(text));
      return { code, report: out.join(""), transport };
    }

    it("prints the report and exits 0 when everything is granted; the connection is closed after", async () => {
      const { code, report, transport } = await checked(
        { info: { [SERVER]: [MAM], "upload.localhost": [UPLOAD] }, items: ["upload.localhost"] },
        (transport) => transport.inject(FULL_GRANT),
      );
      expect(report).toContain(`✓ Component connection: online as ${GW} at 127.0.0.1:5347`);
      expect(report.trimEnd().split("\n").at(-1)).toBe("Everything the gateway uses is granted.");
      expect(code).toBe(0);
      expect(transport.status).toBe("offline");
    });

    it("exits with the missing code when the server sent no privileges", async () => {
      const { code, report } = await checked({ info: { [SERVER]: [MAM] } }, async () => {});
      expect(report).toContain(
        "✗ XEP-0356 roster privilege: not granted (the server sent no XEP-0356 advertisement)",
      );
      expect(code).toBe(4);
    });

    it("exits with the cannot-connect code and says why when the connection is refused", async () => {
      const { code, report } = await checked({ info: {} }, async () => {
        throw new Error("the server refused the secret for component gw.localhost");
      });
      expect(report).toBe(
        `✗ Component connection: cannot connect as ${GW} to 127.0.0.1:5347: the server refused the secret for component gw.localhost\n`,
      );
      expect(code).toBe(3);
    });
  });
});
