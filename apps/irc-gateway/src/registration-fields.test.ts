import { buildForm, type FormValues, validateSubmission, XmppError } from "@gangway/xmpp";
import { describe, expect, it } from "vitest";
import {
  IRC_REGISTRATION_FIELDS,
  ircAccountFromForm,
  PASSWORD_LABEL,
  registrationFields,
} from "./registration-fields.js";

const pinned = { host: "irc.example.org", port: 6697, tls: true };

describe("registration fields", () => {
  it("asks for the server, port, TLS, nickname and password", () => {
    expect(
      IRC_REGISTRATION_FIELDS.map((field) => [field.var, field.type, field.value, field.required]),
    ).toEqual([
      ["server", "text-single", undefined, true],
      ["port", "text-single", "6697", undefined],
      ["tls", "boolean", true, undefined],
      ["nickname", "text-single", undefined, true],
      ["password", "text-private", undefined, undefined],
    ]);
    expect(IRC_REGISTRATION_FIELDS.find((field) => field.var === "password")?.label).toBe(
      "Password (SASL PLAIN, or server password)",
    );
    expect(PASSWORD_LABEL).toBe("Password (SASL PLAIN, or server password)");
  });

  it("leaves the server out when the operator pinned it", () => {
    expect(registrationFields(pinned).map((field) => field.var)).toEqual(["nickname", "password"]);
    expect(registrationFields()).toBe(IRC_REGISTRATION_FIELDS);
  });

  it("builds an XEP-0004 form with the defaults filled in", () => {
    const form = buildForm({ type: "form", fields: registrationFields() });
    const values = Object.fromEntries(
      form.getChildren("field").map((field) => [field.attrs.var, field.getChildText("value")]),
    );
    expect(values).toMatchObject({ port: "6697", tls: "1" });
  });
});

/** What the core hands the gateway: the submission checked against the fields. */
function submit(values: FormValues, server = registrationFields()): FormValues {
  return validateSubmission(server, values);
}

describe("ircAccountFromForm", () => {
  it("takes the defaults: TLS on 6697, no password", () => {
    expect(ircAccountFromForm(submit({ server: "irc.libera.chat", nickname: "romeo" }))).toEqual({
      host: "irc.libera.chat",
      port: 6697,
      tls: true,
      nickname: "romeo",
      password: undefined,
    });
  });

  it("reads every field", () => {
    const values = submit({
      server: " [::1] ",
      port: "6667",
      tls: "0",
      nickname: " romeo ",
      password: " s3cret ",
    });
    expect(ircAccountFromForm(values)).toEqual({
      host: "::1",
      port: 6667,
      tls: false,
      nickname: "romeo",
      password: " s3cret ",
    });
  });

  it("uses the pinned server whatever the form says", () => {
    const values = submit({ nickname: "romeo", password: "pw" }, registrationFields(pinned));
    expect(ircAccountFromForm(values, pinned)).toEqual({ ...pinned, nickname: "romeo", password: "pw" });
    expect(ircAccountFromForm({ nickname: "romeo", server: "evil.example", port: "1" }, pinned).host).toBe(
      "irc.example.org",
    );
  });

  it("names every bad field at once", () => {
    const values = submit({ server: "bad host", port: "99999", nickname: "1nick" });
    let error: unknown;
    try {
      ircAccountFromForm(values);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(XmppError);
    expect((error as XmppError).condition).toBe("not-acceptable");
    expect((error as XmppError).text).toBe(
      'IRC server "bad host" is not a host name or IP address; Port "99999" is not a number from 1 to 65535; ' +
        'Nickname "1nick" cannot be an IRC nick: it cannot start with a digit.',
    );
  });

  it("refuses a bad nick with a pinned server too", () => {
    expect(() => ircAccountFromForm({ nickname: "two words" }, pinned)).toThrow(
      'Nickname "two words" cannot be an IRC nick: it contains whitespace.',
    );
  });

  it("refuses a missing nickname even without form validation", () => {
    expect(() => ircAccountFromForm({ server: "irc.example.org" })).toThrow("it is empty");
  });
});
