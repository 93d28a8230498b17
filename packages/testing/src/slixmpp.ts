import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { XmppServerAddress } from "./clients.js";

/**
 * Debian's python3 on purpose: a pyenv/asdf `python3` earlier on PATH does not see Debian's
 * dist-packages, so `import slixmpp` fails there. Override with `GANGWAY_SLIXMPP_PYTHON`.
 */
const DEFAULT_PYTHON = "/usr/bin/python3";

/** The script ships in the package; `src/` and `dist/` are both one level below the package root. */
export const SLIXMPP_SCRIPT_PATH = fileURLToPath(new URL("../scripts/slix_client.py", import.meta.url));

export interface SlixmppRunOptions {
  server: XmppServerAddress;
  /** Bare JID of the account, e.g. `carol@localhost`. */
  jid: string;
  password: string;
  /** Create the account with XEP-0077 before logging in. */
  registerAccount?: boolean;
  /** Register with this gateway component (XEP-0077), answering its form with `gatewayFields`. */
  registerGateway?: string;
  gatewayFields?: Record<string, string>;
  /** Fetch the roster after login (and after gateway registration). */
  fetchRoster?: boolean;
  /**
   * Poll the roster until it holds all of these JIDs, then report it (implies `fetchRoster`).
   * A gateway fills the roster asynchronously after registration (XEP-0356 privileged set).
   */
  waitForRosterItems?: readonly string[];
  /**
   * Before sending, wait for an available presence from this JID (bare match). Initial presence is
   * then sent right after login, so presences sent during gateway registration reach the client.
   */
  waitForPresence?: { from: string; status?: string };
  /** Send `message` to this JID. */
  sendTo?: string;
  message?: string;
  /** Wait for a message back from `sendTo` before finishing. */
  waitReply?: boolean;
  /**
   * List the XEP-0050 commands this JID offers (disco#items on `http://jabber.org/protocol/commands`),
   * reported as `result.commands`.
   */
  listCommands?: string;
  /**
   * Execute an XEP-0050 command and answer its forms, one `stages` entry per answer; stops when the
   * command is `completed`/`canceled` or the stages run out. Every response is in `result.adhocStages`.
   */
  adhoc?: SlixmppAdhocOptions;
  /** The `adhoc` command must answer with an IQ error (then `ok` is true); without it, an error fails the run. */
  expectAdhocError?: boolean;
  /** A scripted chat dialogue, step by step. See {@link SlixmppChatOptions}. */
  chat?: SlixmppChatOptions;
  /**
   * A scripted exchange of raw stanzas (after `chat`, before the roster): send XML, expect stanzas
   * by name, sender, type, id, child elements and body, capturing ids for later steps. Every
   * message/presence/iq received since login is in `result.stanzas`. See {@link SlixmppRawOptions}.
   */
  raw?: SlixmppRawOptions;
  /** Whole-run budget in ms. Default 10 s. */
  timeoutMs?: number;
}

/** Values of a submitted data form: booleans become `1`/`0`, arrays one `<value/>` each. */
export type SlixmppFormValues = Record<string, string | readonly string[] | boolean>;

export interface SlixmppAdhocStageInput {
  /**
   * Answer to the form of the previous response, submitted as a `jabber:x:data` form of type `submit`.
   * The form's hidden and prefilled fields are sent too (as a real client does) unless overridden;
   * a string for a `text-multi`/`jid-multi` field is split into lines.
   */
  values?: SlixmppFormValues;
  /**
   * Default: the response's `<actions execute="…">`, else `execute` when it lists actions, else `complete`.
   * `prev` and `cancel` send no form.
   */
  action?: "execute" | "next" | "complete" | "cancel" | "prev";
}

export interface SlixmppAdhocOptions {
  /** The command's JID, e.g. a gateway component `gateway.localhost` or the server `localhost`. */
  jid: string;
  node: string;
  stages?: readonly SlixmppAdhocStageInput[];
}

export type SlixmppChatStep =
  | { send: string }
  | {
      /**
       * Waits for a message from the peer whose body matches (Python `re.search`, so write JS-compatible
       * syntax; a RegExp's `i`, `m` and `s` flags are honoured). Messages from the peer that arrived since
       * login and were not consumed by an earlier step count; non-matching ones are skipped.
       */
      expect: string | RegExp;
      /** Default 5 s. */
      timeoutMs?: number;
    };

export interface SlixmppChatOptions {
  /** The peer; a bare JID matches messages from any of its resources. */
  with: string;
  steps: readonly SlixmppChatStep[];
}

/**
 * What a raw `expect` step waits for. Every given criterion must hold; strings may use `{last:NAME}`
 * placeholders for values captured by earlier steps.
 */
export interface SlixmppRawMatch {
  /** The stanza's element name. */
  stanza?: "message" | "presence" | "iq";
  /** A bare JID matches any resource, a full JID exactly. */
  from?: string;
  /** The `type` attribute; RFC 6120's defaults count when it is absent (`normal` message, `available` presence). */
  type?: string;
  /** The stanza's `id` attribute. */
  id?: string;
  /**
   * ElementTree paths (Python's xml.etree "XPath-ish" subset) relative to the stanza, with namespaces
   * in Clark notation, that must each find an element, e.g.
   * `{urn:xmpp:receipts}received[@id='m1']` or `{urn:xmpp:reactions:0}reactions/{urn:xmpp:reactions:0}reaction`.
   * The stanza's own children are in `jabber:client`: `{jabber:client}body`.
   */
  has?: string | readonly string[];
  /** Paths that must find nothing. */
  lacks?: string | readonly string[];
  /** A regex (Python `re.search`, JS-compatible syntax; a RegExp's `i`, `m`, `s` are honoured) on the `<body/>`. */
  body?: string | RegExp;
}

export type SlixmppRawStep =
  | {
      /** A raw stanza, written to the stream as is after filling in `{last:NAME}` placeholders. */
      send: string;
    }
  | {
      /**
       * Waits for the earliest stanza received since login that matches and that no earlier `expect`
       * consumed; stanzas skipped stay available to later steps (so the order in which independent
       * stanzas arrive does not matter).
       */
      expect: SlixmppRawMatch;
      /**
       * Remembers values of the matched stanza for `{last:NAME}`: a name captures its `id`;
       * `{ NAME: "PATH@ATTR" }` an attribute of the stanza (`@to`) or of the first element at an
       * ElementTree path (`{urn:xmpp:sid:0}origin-id@id`).
       */
      capture?: string | Readonly<Record<string, string>>;
      /** Default 5 s. */
      timeoutMs?: number;
    };

export interface SlixmppRawOptions {
  steps: readonly SlixmppRawStep[];
}

/** A stanza the client received (raw mode), in arrival order. */
export interface SlixmppStanza {
  index: number;
  name: "message" | "presence" | "iq";
  /** As slixmpp serialized it (with `xmlns="jabber:client"`); `canonicalXml` ignores that namespace. */
  xml: string;
}

export interface SlixmppRawMatched {
  stepIndex: number;
  /** Index into `stanzas` of the matched stanza. */
  index: number;
  xml: string;
  captured: Record<string, string>;
}

export interface SlixmppRawError {
  /** Index into `raw.steps` of the failed step. */
  stepIndex: number;
  /** `timeout`, or `bad-step` (an unknown placeholder, a missing capture, a bad path or regex). */
  condition: string;
  message: string;
  /** The last (up to 8) received stanzas no `expect` consumed. */
  unmatched: string[];
}

export interface SlixmppCommandItem {
  jid: string;
  node: string;
  name: string;
}

export interface SlixmppFormField {
  var?: string;
  /** `text-single` when the form left it out. */
  type: string;
  label?: string;
  desc?: string;
  required: boolean;
  /** The first `<value/>`, when there is one. */
  value?: string;
  values: string[];
  options: Array<{ label: string; value: string }>;
  /** XEP-0221 media elements inside the field, one entry per `<uri/>`. */
  media: Array<{ type: string; uri: string; width?: string; height?: string }>;
}

export interface SlixmppForm {
  /** `form`, `result`, … */
  type: string;
  title?: string;
  instructions: string[];
  fields: SlixmppFormField[];
  /** A result table's columns. */
  reported?: SlixmppFormField[];
  /** A result table's rows: values by field var. */
  items?: Array<Record<string, string[]>>;
}

export interface SlixmppAdhocStage {
  /** `null` for the answer to the initial `execute`, `i` for the answer to `stages[i]`. */
  stageIndex: number | null;
  node: string;
  status: string;
  sessionid?: string;
  actions: string[];
  defaultAction?: string;
  notes: Array<{ type: string; text: string }>;
  form: SlixmppForm | null;
}

export interface SlixmppAdhocError {
  /** Like {@link SlixmppAdhocStage.stageIndex}: which request was answered with the error. */
  stageIndex: number | null;
  condition: string;
  /** The error type: `cancel`, `auth`, `modify`, … */
  type: string;
  text: string;
}

export interface SlixmppChatError {
  /** Index into `chat.steps` of the `expect` that failed. */
  stepIndex: number;
  regex: string;
  /** The last (up to 5) bodies received from the peer. */
  lastBodies: string[];
  message: string;
}

export interface SlixmppRosterItem {
  jid: string;
  name: string;
  subscription: string;
  groups: string[];
}

export interface SlixmppMessage {
  from: string;
  to: string;
  type: string;
  body: string;
  /** XEP-0066 out-of-band URL (`<x xmlns="jabber:x:oob"><url/>`), when the message carries one. */
  oobUrl?: string;
}

/** One JSON line printed by the script; `event` says which step it reports. */
export interface SlixmppEvent {
  event: string;
  /** Milliseconds since the script started. */
  ms: number;
  [field: string]: unknown;
}

export interface SlixmppRunResult {
  /** True when every requested step succeeded (the script's exit code was 0). */
  ok: boolean;
  exitCode: number | null;
  events: SlixmppEvent[];
  /** The roster when `fetchRoster` was set and it succeeded. */
  roster: SlixmppRosterItem[] | undefined;
  /** The presence `waitForPresence` waited for. */
  presence: { from: string; show: string; status: string } | undefined;
  /** Every chat/normal message received, in order. */
  messages: SlixmppMessage[];
  /** Error events (`step`, `condition`, `message`). */
  errors: SlixmppEvent[];
  /** The `listCommands` answer. */
  commands: SlixmppCommandItem[] | undefined;
  /** Every response of the `adhoc` command, in order. */
  adhocStages: SlixmppAdhocStage[];
  /** The IQ error the `adhoc` command answered with. */
  adhocError: SlixmppAdhocError | undefined;
  /** The bodies that satisfied the chat's `expect` steps, with the step index. */
  chatMatches: Array<{ stepIndex: number; body: string }>;
  /** The chat `expect` step that timed out. */
  chatError: SlixmppChatError | undefined;
  /** With `raw`: every message, presence and iq received since login, in order. */
  stanzas: SlixmppStanza[];
  /** The stanzas that satisfied the raw `expect` steps, in step order. */
  rawMatches: SlixmppRawMatched[];
  /** Every value the raw steps captured, by name. */
  captured: Record<string, string>;
  /** The raw step that failed. */
  rawError: SlixmppRawError | undefined;
  stderr: string;
}

let availability: boolean | undefined;

/** Whether Debian's python3-slixmpp can be imported (checked once per process). */
export function slixmppAvailable(): boolean {
  availability ??=
    spawnSync(pythonPath(), ["-c", "import slixmpp"], { stdio: "ignore", timeout: 10_000 }).status === 0;
  return availability;
}

/**
 * Runs the shipped slixmpp script as an independent "real client" and collects what it reported.
 * Resolves even when a step fails (`ok: false`, see `errors`); rejects only if python cannot run.
 */
export function runSlixmppClient(options: SlixmppRunOptions): Promise<SlixmppRunResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const args = [
    SLIXMPP_SCRIPT_PATH,
    "--jid",
    options.jid,
    "--password",
    options.password,
    "--host",
    options.server.host ?? "127.0.0.1",
    "--port",
    String(options.server.c2sPort),
    "--timeout",
    String(timeoutMs / 1000),
  ];
  if (options.registerAccount) args.push("--register-account");
  if (options.registerGateway) {
    args.push("--register-gateway", options.registerGateway);
    for (const [name, value] of Object.entries(options.gatewayFields ?? {})) {
      args.push("--gateway-field", `${name}=${value}`);
    }
  }
  if (options.fetchRoster) args.push("--roster");
  for (const jid of options.waitForRosterItems ?? []) args.push("--wait-roster-item", jid);
  if (options.waitForPresence) {
    args.push("--wait-presence", options.waitForPresence.from);
    if (options.waitForPresence.status !== undefined) {
      args.push("--wait-status", options.waitForPresence.status);
    }
  }
  if (options.sendTo) {
    args.push("--send-to", options.sendTo);
    if (options.message !== undefined) args.push("--message", options.message);
    if (options.waitReply) args.push("--wait-reply");
  }
  if (options.listCommands) args.push("--list-commands", options.listCommands);
  if (options.adhoc) {
    args.push(
      "--adhoc-json",
      JSON.stringify({
        jid: options.adhoc.jid,
        node: options.adhoc.node,
        stages: options.adhoc.stages ?? [],
      }),
    );
  }
  if (options.expectAdhocError) args.push("--expect-adhoc-error");
  if (options.chat) {
    args.push(
      "--chat-json",
      JSON.stringify({ with: options.chat.with, steps: options.chat.steps.map(chatStepJson) }),
    );
  }

  if (options.raw) {
    args.push("--raw-json", JSON.stringify({ steps: options.raw.steps.map(rawStepJson) }));
  }

  return new Promise((resolve, reject) => {
    const child = spawn(pythonPath(), args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    // The script enforces its own timeout; this one only catches a hung interpreter.
    const killTimer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 5000);
    child.once("error", (error) => {
      clearTimeout(killTimer);
      reject(new Error(`Could not run ${pythonPath()} ${SLIXMPP_SCRIPT_PATH}: ${error.message}`));
    });
    child.once("close", (exitCode) => {
      clearTimeout(killTimer);
      const events = parseEvents(stdout);
      const rosterEvent = events.find((event) => event.event === "roster");
      const presenceEvent = events.find((event) => event.event === "presence");
      const adhocErrorEvent = events.find((event) => event.event === "adhoc_error");
      const chatErrorEvent = events.find((event) => event.event === "error" && event.step === "chat");
      const rawErrorEvent = events.find((event) => event.event === "error" && event.step === "raw");
      const rawMatches = events
        .filter((event) => event.event === "raw_matched")
        .map((event) => ({
          stepIndex: event.step_index as number,
          index: event.index as number,
          xml: String(event.xml),
          captured: event.captured as Record<string, string>,
        }));
      resolve({
        ok: exitCode === 0,
        exitCode,
        events,
        roster: rosterEvent?.items as SlixmppRosterItem[] | undefined,
        presence: presenceEvent
          ? {
              from: String(presenceEvent.from),
              show: String(presenceEvent.show),
              status: String(presenceEvent.status),
            }
          : undefined,
        messages: events
          .filter((event) => event.event === "message")
          .map(
            ({ from, to, type, body, oob_url }) =>
              ({
                from,
                to,
                type,
                body,
                ...(oob_url === undefined ? {} : { oobUrl: oob_url }),
              }) as SlixmppMessage,
          ),
        errors: events.filter((event) => event.event === "error"),
        commands: events.find((event) => event.event === "commands")?.items as
          | SlixmppCommandItem[]
          | undefined,
        adhocStages: events.filter((event) => event.event === "adhoc_stage").map(toAdhocStage),
        adhocError: adhocErrorEvent
          ? {
              stageIndex: adhocErrorEvent.stage_index as number | null,
              condition: String(adhocErrorEvent.condition),
              type: String(adhocErrorEvent.type),
              text: String(adhocErrorEvent.text),
            }
          : undefined,
        chatMatches: events
          .filter((event) => event.event === "chat_matched")
          .map((event) => ({ stepIndex: event.step_index as number, body: String(event.body) })),
        chatError: chatErrorEvent
          ? {
              stepIndex: chatErrorEvent.step_index as number,
              regex: String(chatErrorEvent.regex),
              lastBodies: chatErrorEvent.last_bodies as string[],
              message: String(chatErrorEvent.message),
            }
          : undefined,
        stanzas: events
          .filter((event) => event.event === "stanza")
          .map((event) => ({
            index: event.index as number,
            name: event.name as SlixmppStanza["name"],
            xml: String(event.xml),
          })),
        rawMatches,
        captured: Object.assign({}, ...rawMatches.map((match) => match.captured)),
        rawError: rawErrorEvent
          ? {
              stepIndex: rawErrorEvent.step_index as number,
              condition: String(rawErrorEvent.condition),
              message: String(rawErrorEvent.message),
              unmatched: rawErrorEvent.unmatched as string[],
            }
          : undefined,
        stderr,
      });
    });
  });
}

function chatStepJson(step: SlixmppChatStep): Record<string, unknown> {
  if ("send" in step) return { send: step.send };
  const { expect, timeoutMs } = step;
  const json: Record<string, unknown> =
    typeof expect === "string" ? { expect } : { expect: expect.source, flags: regexFlags(expect) };
  if (timeoutMs !== undefined) json.timeout_ms = timeoutMs;
  return json;
}

function rawStepJson(step: SlixmppRawStep): Record<string, unknown> {
  if ("send" in step) return { send: step.send };
  const { stanza, from, type, id, has, lacks, body } = step.expect;
  const expect: Record<string, unknown> = {};
  if (stanza !== undefined) expect.stanza = stanza;
  if (from !== undefined) expect.from = from;
  if (type !== undefined) expect.type = type;
  if (id !== undefined) expect.id = id;
  if (has !== undefined) expect.has = typeof has === "string" ? [has] : [...has];
  if (lacks !== undefined) expect.lacks = typeof lacks === "string" ? [lacks] : [...lacks];
  if (typeof body === "string") expect.body = body;
  else if (body !== undefined) {
    expect.body = body.source;
    expect.flags = regexFlags(body);
  }
  const json: Record<string, unknown> = { expect };
  if (step.capture !== undefined) json.capture = step.capture;
  if (step.timeoutMs !== undefined) json.timeout_ms = step.timeoutMs;
  return json;
}

/** The RegExp flags Python's `re` can honour; `g`, `u`, `y` do not change a single search. */
function regexFlags(regex: RegExp): string {
  const unsupported = [...regex.flags].filter((flag) => !"imsguy".includes(flag));
  if (unsupported.length > 0) {
    throw new Error(
      `Chat expect /${regex.source}/${regex.flags}: flag(s) ${unsupported.join("")} not supported`,
    );
  }
  return [...regex.flags].filter((flag) => "ims".includes(flag)).join("");
}

function toAdhocStage(event: SlixmppEvent): SlixmppAdhocStage {
  const stage: SlixmppAdhocStage = {
    stageIndex: event.stage_index as number | null,
    node: String(event.node),
    status: String(event.status),
    actions: event.actions as string[],
    notes: event.notes as SlixmppAdhocStage["notes"],
    form: (event.form ?? null) as SlixmppForm | null,
  };
  if (typeof event.sessionid === "string") stage.sessionid = event.sessionid;
  if (typeof event.default_action === "string") stage.defaultAction = event.default_action;
  return stage;
}

function parseEvents(stdout: string): SlixmppEvent[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as SlixmppEvent);
}

function pythonPath(): string {
  return process.env.GANGWAY_SLIXMPP_PYTHON ?? DEFAULT_PYTHON;
}
