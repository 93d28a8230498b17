import { XmppError } from "@gangway/xmpp";
import { describe, expect, it } from "vitest";
import { ChatCommands, MAX_CHAT_LINE_LENGTH, MAX_WAITING_LINES } from "./chat.js";
import { type Command, type CommandPage, confirmation, type Requester, result } from "./commands.js";

const USER = "romeo@x.org";
const PASSWORD = "S3cr3t-Xy7q";

/** Lets other work run between the steps of a command, as store and network calls do. */
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/**
 * A `register` with a username and a password, slow at every step (so lines that arrive
 * meanwhile would overtake it if they were not queued); a password starting with "wrong" is
 * refused with a text that quotes it, and `confirm` pages show a summary that includes it.
 */
function setup(options: { confirm?: boolean; allowed?: boolean; maxLineChars?: number } = {}) {
  const sent: Array<{ to: string; text: string }> = [];
  const registered = new Set<string>();
  const cancelled: string[] = [];
  const failures: unknown[] = [];
  const register: Command = {
    node: "register",
    name: "Register",
    keyword: "register",
    help: "register with this gateway",
    access: "non-user",
    async run(requester) {
      await pause();
      return {
        kind: "form",
        title: "Registration",
        fields: [
          { var: "username", type: "text-single", label: "Username", required: true },
          { var: "password", type: "text-private", label: "Password", required: true },
        ],
        submit: async (values): Promise<CommandPage> => {
          await pause();
          const password = String(values.password);
          // An app that quotes what it refused: the chat bot must not pass it on.
          if (password.startsWith("wrong")) throw new XmppError("not-authorized", `Bad password ${password}`);
          const done = async () => {
            await pause();
            registered.add(requester.jid);
            return result("Registration complete.");
          };
          return options.confirm
            ? confirmation("Confirm", `Log in as ${values.username} with ${password}?`, done)
            : done();
        },
      };
    },
    async cancel(requester) {
      cancelled.push(requester.jid);
    },
  };
  const pick: Command = {
    node: "pick",
    name: "Pick",
    keyword: "pick",
    help: "pick a colour",
    access: "any",
    run: async () => ({
      kind: "form",
      title: "Pick",
      fields: [
        {
          var: "colour",
          type: "list-single",
          label: "Colour",
          required: true,
          options: [{ value: "red" }, { value: "blue" }],
        },
      ],
      submit: async (values) => result(`You picked ${values.colour}.`),
    }),
  };
  const chat = new ChatCommands({
    ...(options.maxLineChars !== undefined && { maxLineChars: options.maxLineChars }),
    commands: [register, pick],
    requester: async (jid): Promise<Requester> => {
      await pause();
      return {
        jid,
        allowed: options.allowed ?? true,
        registered: registered.has(jid),
        loggedIn: false,
        admin: false,
      };
    },
    send: async (to, text) => {
      await pause();
      sent.push({ to, text });
    },
    sendQr: async () => {},
    onBackgroundError: (err) => failures.push(err),
  });
  const textsTo = (jid: string) => sent.filter((s) => s.to === jid).map((s) => s.text);
  return { chat, sent, registered, cancelled, failures, textsTo };
}

/** Until the chat bot has nothing queued any more (the notice of a burst comes after its lines). */
async function idle(chat: ChatCommands): Promise<void> {
  const lanes = (chat as unknown as { lanes: Map<string, unknown> }).lanes;
  for (let i = 0; i < 1000 && lanes.size > 0; i++) await pause();
  expect(lanes.size).toBe(0);
}

describe("ChatCommands: one user's lines in order", () => {
  it("answers three lines sent back to back in order, and the dialogue completes", async () => {
    const { chat, registered, textsTo } = setup();
    // Not awaited one by one: all three arrive while `register` is still starting.
    await Promise.all([
      chat.handle(USER, "register"),
      chat.handle(USER, "chatuser"),
      chat.handle(USER, PASSWORD),
    ]);
    expect(textsTo(USER)).toEqual([
      "Registration",
      "Username? (or 'abort')",
      "Password? (or 'abort')",
      "Registration complete.",
    ]);
    expect(registered.has(USER)).toBe(true);
    await idle(chat);
  });

  it("runs different users concurrently", async () => {
    const { chat, textsTo } = setup();
    const order: string[] = [];
    const slow = chat.handle(USER, "register").then(() => order.push("romeo"));
    const fast = chat.handle("juliet@x.org", "help").then(() => order.push("juliet"));
    await Promise.all([slow, fast]);
    expect(order).toEqual(["juliet", "romeo"]);
    expect(textsTo("juliet@x.org")[0]).toMatch(/^Commands:/);
    await idle(chat);
  });

  it("never sends back what was typed in a private field, nor an unknown command", async () => {
    const { chat, sent, registered, textsTo } = setup({ confirm: true });
    await Promise.all(
      ["register", "chatuser", `wrong-${PASSWORD}`, "chatuser", PASSWORD].map((line) =>
        chat.handle(USER, line),
      ),
    );
    expect(textsTo(USER)).toEqual([
      "Registration",
      "Username? (or 'abort')",
      "Password? (or 'abort')",
      // The app's error quoted the refused password: replaced.
      "That was refused. Let's try again.",
      "Username? (or 'abort')",
      "Password? (or 'abort')",
      "Confirm",
      // The confirmation's question showed the password: withheld.
      "(A message was withheld here: it would have shown something you typed in a private field.)",
    ]);
    await chat.handle(USER, "yes");
    expect(registered.has(USER)).toBe(true);
    await chat.handle(USER, "frobnicate hunter2");
    expect(textsTo(USER).at(-1)).toBe("Unknown command. Send 'help' for the list of commands.");
    for (const { text } of sent) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("frobnicate");
    }
  });

  it("refuses a choice that is not listed without quoting it", async () => {
    const { chat, textsTo } = setup();
    await chat.handle(USER, "pick");
    await chat.handle(USER, "green-ish");
    expect(textsTo(USER).at(-1)).toBe("Please answer with one of the numbers or values listed (or 'abort').");
    await chat.handle(USER, "2");
    expect(textsTo(USER).at(-1)).toBe("You picked blue.");
    expect(textsTo(USER).join("\n")).not.toContain("green-ish");
  });

  it("refuses an over-long line without quoting it, and goes on with the dialogue", async () => {
    const { chat, registered, textsTo } = setup();
    await chat.handle(USER, "register");
    const long = `x${"€".repeat(MAX_CHAT_LINE_LENGTH)}`;
    await chat.handle(USER, long);
    const refusal = textsTo(USER).at(-1)!;
    expect(refusal).toBe(
      `That message was not read: messages to the gateway can be at most ${MAX_CHAT_LINE_LENGTH} characters long.`,
    );
    expect(refusal).not.toContain("€");
    await chat.handle(USER, "chatuser");
    await chat.handle(USER, PASSWORD);
    expect(registered.has(USER)).toBe(true);
  });

  it("takes its line limit from the operator (--max-field-chars), counted in characters", async () => {
    const { chat, registered, textsTo } = setup({ maxLineChars: 16 });
    await chat.handle(USER, "register");
    await chat.handle(USER, "😀".repeat(17));
    expect(textsTo(USER).at(-1)).toBe(
      "That message was not read: messages to the gateway can be at most 16 characters long.",
    );
    // 16 astral characters are 32 UTF-16 units, still 16 characters: read.
    await chat.handle(USER, "😀".repeat(16));
    await chat.handle(USER, "pw-under-16");
    expect(registered.has(USER)).toBe(true);
  });

  it("survives a flood of 1000 lines: no failure, one notice, nobody registered", async () => {
    const { chat, sent, registered, cancelled, failures, textsTo } = setup();
    await chat.handle(USER, "register");
    const lines = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? "register" : `line ${i}`));
    const outcomes = await Promise.allSettled(lines.map((line) => chat.handle(USER, line)));
    await idle(chat);
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    expect(failures).toEqual([]);
    expect(registered.has(USER)).toBe(false);
    // The burst outran the bot: once a line was dropped, the ones still waiting were dropped too,
    // and the dialogue under way was aborted (what followed would have answered the wrong questions).
    expect(textsTo(USER)).toEqual([
      "Registration",
      "Username? (or 'abort')",
      `Too many messages at once: 1000 of them were not read (at most ${MAX_WAITING_LINES} can wait). Send them one at a time.\n'register' was aborted: nothing changed.`,
    ]);
    expect(cancelled).toEqual([USER]);
    expect(sent).toHaveLength(3);

    // The burst is over: lines are read again, and a dialogue completes.
    await chat.handle(USER, "register");
    await chat.handle(USER, "chatuser");
    await chat.handle(USER, PASSWORD);
    expect(registered.has(USER)).toBe(true);
    await idle(chat);
  });

  it("lets the line being handled finish when a burst overflows, and drops the rest", async () => {
    const { chat, textsTo } = setup();
    const running = chat.handle(USER, "help");
    await pause(); // `help` is under way (asking who the user is)
    const burst = Array.from({ length: MAX_WAITING_LINES }, () => chat.handle(USER, "help"));
    await Promise.all([running, ...burst]);
    await idle(chat);
    const texts = textsTo(USER);
    expect(texts.filter((t) => t.startsWith("Commands:"))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith("Too many messages at once"))).toEqual([
      `Too many messages at once: ${MAX_WAITING_LINES} of them were not read (at most ${MAX_WAITING_LINES} can wait). Send them one at a time.`,
    ]);
  });

  it("answers a disallowed JID with not-allowed, and its flood with nothing", async () => {
    const { chat, sent } = setup({ allowed: false });
    await expect(chat.handle("mallory@evil.example", "register")).rejects.toMatchObject({
      condition: "not-allowed",
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 1000 }, () => chat.handle("mallory@evil.example", "register")),
    );
    await idle(chat);
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    expect(sent).toEqual([]);
  });
});
