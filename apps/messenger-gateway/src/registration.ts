import { type FormField, type FormValues, XmppError } from "@gangway/core";
import { type MessengerCredentials, MessengerLoginError } from "./client/port.js";

/**
 * Registration: email and password (then a login checkpoint's code when Facebook asks), or a
 * logged-in browser's cookie export ("app state") pasted as the one field instead. What the user
 * typed is never quoted back in an error.
 */

export const REGISTRATION_FIELDS: readonly FormField[] = [
  { var: "email", type: "text-single", label: "Email or phone" },
  { var: "password", type: "text-private", label: "Password" },
  {
    var: "app_state",
    type: "text-private",
    label: "Or: cookie export (app state JSON)",
    desc: "Instead of email and password: the cookies of a browser logged in to facebook.com, as the JSON array cookie-export extensions give.",
  },
];

export const REGISTRATION_INSTRUCTIONS =
  "Enter the email (or phone number) and password of your Facebook account, or leave them empty " +
  "and paste a cookie export (app state) of a browser logged in to Facebook. " +
  "Chats with end-to-end encryption are not visible through this gateway.";

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "");

/** The credentials a registration gave: email and password, or a cookie export; refuses anything else. */
export function credentialsOf(values: FormValues | Readonly<Record<string, unknown>>): MessengerCredentials {
  const email = text(values.email);
  const password = typeof values.password === "string" ? values.password : "";
  const appState = text(values.app_state);
  if (appState && (email || password))
    throw new XmppError(
      "not-acceptable",
      "Enter either your email and password or a cookie export, not both.",
    );
  if (appState) return { appState };
  if (!email && !password)
    throw new XmppError(
      "not-acceptable",
      "Enter your email and password, or paste a cookie export (app state) instead.",
    );
  if (!email || !password)
    throw new XmppError("not-acceptable", "Enter both your email (or phone) and your password.");
  return { email, password };
}

/** Login failures as the user's client understands them, each saying what to do; nothing the user typed is echoed. */
export function loginRefusal(err: MessengerLoginError): XmppError {
  switch (err.reason) {
    case "bad-credentials":
      return new XmppError("not-authorized", "Wrong email or password.");
    case "wrong-checkpoint-code":
      return new XmppError("not-authorized", "Wrong login code.");
    case "checkpoint-required":
      return new XmppError(
        "not-authorized",
        "Facebook asks to confirm this login with a code: register again to enter it.",
      );
    case "checkpoint-browser":
      return new XmppError(
        "not-authorized",
        "Facebook wants to confirm this login in a browser: log in at facebook.com, approve the login " +
          '("Was this you?"), then register again — or register with a cookie export of that browser.',
      );
    case "session-expired":
      return new XmppError(
        "not-authorized",
        "Your Facebook session has ended: register again, with your email and password or a fresh cookie export.",
      );
    case "bad-app-state":
      return new XmppError(
        "not-acceptable",
        "This is not a Facebook cookie export: paste the JSON array of cookies (with c_user and xs) " +
          "exported from a browser logged in to facebook.com.",
      );
  }
}

/** A login error as the user sees it; anything but a MessengerLoginError is passed on as it is. */
export function asRefusal(err: unknown): unknown {
  return err instanceof MessengerLoginError ? loginRefusal(err) : err;
}
