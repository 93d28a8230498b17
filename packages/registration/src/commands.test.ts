import { describe, expect, it } from "vitest";
import { assertAccess, type Command, type CommandAccess, commandsFor, type Requester } from "./commands.js";

const command = (access: CommandAccess): Command => ({
  node: access,
  name: access,
  keyword: access,
  help: "",
  access,
  run: async () => ({ kind: "result" }),
});
const ALL = (["any", "non-user", "user", "logged-in", "not-logged-in", "admin"] as const).map(command);

const who = (overrides: Partial<Requester>): Requester => ({
  jid: "a@x.org",
  allowed: true,
  registered: false,
  loggedIn: false,
  admin: false,
  ...overrides,
});

describe("command access", () => {
  it("lists what each kind of requester may run", () => {
    const names = (r: Requester) => commandsFor(ALL, r).map((c) => c.node);
    expect(names(who({}))).toEqual(["any", "non-user"]);
    expect(names(who({ registered: true }))).toEqual(["any", "user", "not-logged-in"]);
    expect(names(who({ registered: true, loggedIn: true }))).toEqual(["any", "user", "logged-in"]);
    expect(names(who({ admin: true }))).toEqual(["any", "non-user", "admin"]);
    expect(names(who({ allowed: false }))).toEqual([]);
    // An administrator outside the user validator still administers the gateway.
    expect(names(who({ allowed: false, admin: true }))).toEqual(["any", "non-user", "admin"]);
  });

  it("refuses with a condition and a text that say why", () => {
    const refusal = (access: CommandAccess, requester: Requester) => {
      try {
        assertAccess(command(access), requester);
        return "allowed";
      } catch (err) {
        return `${(err as { condition: string }).condition}: ${(err as { text: string }).text}`;
      }
    };
    expect(refusal("any", who({ allowed: false }))).toBe(
      "not-allowed: Your account is not allowed to use this gateway.",
    );
    expect(refusal("non-user", who({ registered: true }))).toBe(
      "conflict: You are already registered to this gateway. Unregister first.",
    );
    expect(refusal("user", who({}))).toBe("registration-required: You are not registered to this gateway.");
    expect(refusal("logged-in", who({ registered: true }))).toBe(
      "forbidden: This command needs you to be logged in to the legacy network.",
    );
    expect(refusal("not-logged-in", who({ registered: true, loggedIn: true }))).toBe(
      "forbidden: You are already logged in to the legacy network.",
    );
    expect(refusal("admin", who({ registered: true }))).toBe(
      "forbidden: Only the gateway's administrators can run this command.",
    );
    expect(refusal("admin", who({ admin: true }))).toBe("allowed");
  });
});
