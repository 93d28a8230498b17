import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import { buildForm, type FormField, parseForm, validateSubmission } from "./forms.js";

const FIELDS: readonly FormField[] = [
  { var: "intro", type: "fixed", value: "Welcome" },
  { var: "email", type: "text-single", label: "Email", required: true, desc: "Your login" },
  { var: "password", type: "text-private", label: "Password", required: true },
  { var: "remember", type: "boolean", label: "Remember me", value: false },
  {
    var: "mode",
    type: "list-single",
    label: "Mode",
    options: [
      { value: "fast", label: "Fast" },
      { value: "safe", label: "Safe" },
    ],
  },
  { var: "tags", type: "list-multi", label: "Tags", options: [{ value: "a" }, { value: "b" }] },
  { var: "bio", type: "text-multi", label: "Bio" },
  { var: "buddy", type: "jid-single", label: "Buddy" },
  { var: "token", type: "hidden", value: "t0k" },
];

describe("buildForm", () => {
  it("builds a full form with FORM_TYPE first and defaults overridden by values", () => {
    const form = buildForm({
      type: "form",
      title: "Register",
      instructions: "Fill in",
      formType: "jabber:iq:register",
      fields: FIELDS,
      values: { email: "me@example.com", bio: "line 1\nline 2" },
    });
    expect(form.toString()).toBe(
      '<x xmlns="jabber:x:data" type="form"><title>Register</title><instructions>Fill in</instructions>' +
        '<field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>' +
        '<field var="intro" type="fixed"><value>Welcome</value></field>' +
        '<field var="email" type="text-single" label="Email"><desc>Your login</desc><required/><value>me@example.com</value></field>' +
        '<field var="password" type="text-private" label="Password"><required/></field>' +
        '<field var="remember" type="boolean" label="Remember me"><value>0</value></field>' +
        '<field var="mode" type="list-single" label="Mode"><option label="Fast"><value>fast</value></option><option label="Safe"><value>safe</value></option></field>' +
        '<field var="tags" type="list-multi" label="Tags"><option><value>a</value></option><option><value>b</value></option></field>' +
        '<field var="bio" type="text-multi" label="Bio"><value>line 1</value><value>line 2</value></field>' +
        '<field var="buddy" type="jid-single" label="Buddy"/>' +
        '<field var="token" type="hidden"><value>t0k</value></field></x>',
    );
  });

  it("writes only vars and values in a submit form, and nothing in a cancel", () => {
    const submit = buildForm({
      type: "submit",
      fields: [FIELDS[1]!, FIELDS[5]!],
      values: { email: "e", tags: ["a", "b"] },
    });
    expect(submit.toString()).toBe(
      '<x xmlns="jabber:x:data" type="submit"><field var="email"><value>e</value></field>' +
        '<field var="tags"><value>a</value><value>b</value></field></x>',
    );
    expect(buildForm({ type: "cancel", fields: FIELDS, formType: "x" }).toString()).toBe(
      '<x xmlns="jabber:x:data" type="cancel"/>',
    );
  });
});

describe("parseForm", () => {
  it("reads type, FORM_TYPE, single and multi values", () => {
    const parsed = parseForm(
      parseXml(
        "<x xmlns='jabber:x:data' type='submit'><title>T</title>" +
          "<field var='FORM_TYPE' type='hidden'><value>urn:ft</value></field>" +
          "<field var='email'><value>a@b</value></field><field var='empty'/>" +
          "<field var='tags' type='list-multi'><value>a</value></field>" +
          "<field var='lines'><value>1</value><value>2</value></field><field type='fixed'><value>ignored</value></field></x>",
      ),
    );
    expect(parsed).toEqual({
      type: "submit",
      formType: "urn:ft",
      title: "T",
      instructions: undefined,
      values: { email: "a@b", empty: "", tags: ["a"], lines: ["1", "2"] },
    });
  });

  it("round-trips a built form", () => {
    const values = { email: "e@x", tags: ["a"], remember: true };
    const parsed = parseForm(buildForm({ type: "submit", formType: "urn:t", fields: FIELDS, values }));
    expect(parsed.formType).toBe("urn:t");
    expect(validateSubmission(FIELDS, { ...parsed.values, password: "p" })).toMatchObject({
      email: "e@x",
      tags: ["a"],
      remember: true,
    });
  });

  it("refuses elements that are not data forms", () => {
    expect(() => parseForm(parseXml("<x xmlns='other' type='submit'/>"))).toThrow(XmppError);
    expect(() => parseForm(parseXml("<x xmlns='jabber:x:data' type='bogus'/>"))).toThrow(/bogus/);
  });
});

describe("validateSubmission", () => {
  it("converts values to their field types and fills in defaults", () => {
    const values = validateSubmission(FIELDS, {
      email: "me@example.com",
      password: "  secret ",
      remember: "true",
      mode: "safe",
      tags: ["b", "a"],
      bio: "one\ntwo",
      buddy: "Friend@Example.org/Res",
      unknown: "dropped",
    });
    expect(values).toEqual({
      email: "me@example.com",
      password: "  secret ",
      remember: true,
      mode: "safe",
      tags: ["b", "a"],
      bio: ["one", "two"],
      buddy: "friend@example.org/Res",
      token: "t0k",
    });
  });

  it.each([
    ["1", true],
    ["0", false],
    ["false", false],
    [true, true],
  ] as const)("reads boolean %j as %j", (raw, expected) => {
    expect(validateSubmission([{ var: "b", type: "boolean" }], { b: raw }).b).toBe(expected);
  });

  it("names every missing or bad field by its label", () => {
    let thrown: unknown;
    try {
      validateSubmission(FIELDS, {
        email: "  ",
        remember: "maybe",
        mode: "slow",
        tags: ["a", "zzz"],
        buddy: "not a jid",
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(XmppError);
    const error = thrown as XmppError;
    expect(error.condition).toBe("not-acceptable");
    expect(error.type).toBe("modify");
    // What was typed is never quoted back: the choices are named instead.
    expect(error.text).not.toContain("slow");
    expect(error.text).not.toContain("zzz");
    expect(error.text).toBe(
      "Email is required; Password is required; Remember me must be true or false; Mode must be one of fast, safe; " +
        "Tags takes only a, b; Buddy must be a valid JID.",
    );
  });

  it("refuses several values for a single-valued field", () => {
    expect(() =>
      validateSubmission([{ var: "code", type: "text-single", label: "Code" }], { code: ["1", "2"] }),
    ).toThrow(/Code takes a single value/);
  });

  it("falls back to the var when a field has no label", () => {
    expect(() => validateSubmission([{ var: "code", type: "text-single", required: true }], {})).toThrow(
      /code is required/,
    );
  });
});
