import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import {
  checkFieldLengths,
  exceedsChars,
  type FormField,
  isCancelForm,
  validateSubmission,
} from "./forms.js";

const FIELDS: readonly FormField[] = [
  { var: "username", type: "text-single", label: "Username", required: true },
  { var: "password", type: "text-private", label: "Password", required: true },
  { var: "bio", type: "text-multi", label: "Bio" },
];

function refusal(run: () => unknown): XmppError {
  try {
    run();
  } catch (err) {
    if (err instanceof XmppError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("exceedsChars", () => {
  it("counts code points, not UTF-16 units", () => {
    expect(exceedsChars("😀".repeat(10), 10)).toBe(false);
    expect(exceedsChars("😀".repeat(11), 10)).toBe(true);
    expect(exceedsChars("a".repeat(10), 10)).toBe(false);
    expect(exceedsChars("a".repeat(11), 10)).toBe(true);
  });
});

describe("field length limit", () => {
  it("refuses a 100 KB username and password by label and limit, never quoting them", () => {
    const username = `u${"x".repeat(100_000)}secretname`;
    const password = `p${"y".repeat(100_000)}secretpass`;
    const error = refusal(() => validateSubmission(FIELDS, { username, password }, { maxChars: 4096 }));
    expect(error.condition).toBe("not-acceptable");
    expect(error.text).toBe(
      "Username, Password are too long: the gateway accepts at most 4096 characters per field.",
    );
    expect(error.text).not.toContain("secret");
    expect(error.text!.length).toBeLessThan(200);
  });

  it("accepts a value exactly at the limit, and counts a multi-valued field's values together", () => {
    expect(validateSubmission(FIELDS, { username: "a".repeat(16), password: "p" }, { maxChars: 16 })).toEqual(
      {
        username: "a".repeat(16),
        password: "p",
      },
    );
    const error = refusal(() =>
      validateSubmission(
        FIELDS,
        { username: "a", password: "p", bio: ["x".repeat(10), "y".repeat(10)] },
        { maxChars: 16 },
      ),
    );
    expect(error.text).toBe("Bio is too long: the gateway accepts at most 16 characters per field.");
  });

  it("refuses a long value of a field nobody asked for without naming its var", () => {
    const error = refusal(() => checkFieldLengths(FIELDS, { ["v".repeat(50)]: "z".repeat(100) }, 16));
    expect(error.condition).toBe("not-acceptable");
    expect(error.text).toBe(
      "A field you sent is too long: the gateway accepts at most 16 characters per field.",
    );
  });

  it("checks nothing without a limit (the default for existing callers)", () => {
    expect(
      validateSubmission(FIELDS, { username: "x".repeat(100_000), password: "p" }).username,
    ).toHaveLength(100_000);
  });
});

describe("isCancelForm", () => {
  it("is true only for a jabber:x:data form of type cancel", () => {
    expect(isCancelForm(parseXml("<x xmlns='jabber:x:data' type='cancel'/>"))).toBe(true);
    expect(isCancelForm(parseXml("<x xmlns='jabber:x:data' type='submit'/>"))).toBe(false);
    expect(isCancelForm(parseXml("<x xmlns='urn:other' type='cancel'/>"))).toBe(false);
    expect(isCancelForm(undefined)).toBe(false);
  });
});
