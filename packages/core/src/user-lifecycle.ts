import type { PreferencesForm, SeedFlowTexts } from "@gangway/registration";
import type { UserRow } from "@gangway/store";
import { type FormField, type FormValues, subscriptionPresence, validateSubmission } from "@gangway/xmpp";
import type { GatewayHost, GatewayMeta } from "./host.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";

/**
 * A new user: their session exists at once, so what they send right after registering waits for
 * the login instead of bouncing; it logs in after the admins' notice, the subscription request
 * and the welcome have gone out.
 */
export function welcomeUser(host: GatewayHost, sessions: Sessions<AnySession>, user: UserRow): void {
  host.log.info({ user: user.jid }, "user registered");
  const session = sessions.add(user);
  void (async () => {
    for (const admin of host.config.admins) await host.sendChat(admin, `${user.jid} has registered`);
    await host
      .send(subscriptionPresence(host.domain, user.jid, "subscribe"))
      .catch((err) => host.log.warn({ err }, "could not ask for a subscription"));
    const welcome = host.meta.WELCOME_MESSAGE;
    if (welcome) await host.sendChat(user.jid, welcome);
    await (await session).start();
  })().catch((err) => host.log.error({ err }, "after-registration steps failed"));
}

/** An unregistered user: their contacts leave the roster, the session stops, nothing is kept. */
export async function forgetUser(
  host: GatewayHost,
  sessions: Sessions<AnySession>,
  user: UserRow,
  unregister: (user: UserRow) => Promise<void>,
): Promise<void> {
  const session = sessions.get(user.jid);
  if (session) {
    for (const contact of session.contacts) {
      await host.send(subscriptionPresence(contact.jid, user.jid, "unsubscribe"));
      await host.send(subscriptionPresence(contact.jid, user.jid, "unsubscribed"));
    }
  }
  await sessions.remove(user.jid);
  await unregister(user);
  await host.store.pendingRegistrations.deleteFor(user.jid);
  host.log.info({ user: user.jid }, "user unregistered");
}

/** PREFERENCES as the form the registration and the `preferences` command show. */
export function preferencesForm(host: GatewayHost, sessions: Sessions<AnySession>): PreferencesForm {
  return {
    fields: host.meta.PREFERENCES,
    save: async (jid, values) => {
      const updated = await host.store.users.update(jid, { preferences: values });
      const session = sessions.get(jid);
      if (updated && session) session.user = updated;
    },
  };
}

/** A user's preferences with the defaults filled in for what they never set. */
export function preferencesOf(host: GatewayHost, user: UserRow): FormValues {
  try {
    return validateSubmission(host.meta.PREFERENCES, user.preferences as FormValues);
  } catch {
    // Stored values that no longer fit the fields (an app changed them): the defaults.
    return validateSubmission(host.meta.PREFERENCES, {});
  }
}

/** Half-done registrations past their timeout go (they are also hidden on read). */
export async function sweepPendingRegistrations(host: GatewayHost): Promise<void> {
  try {
    const removed = await host.store.pendingRegistrations.deleteExpired();
    if (removed > 0) host.log.info({ removed }, "expired pending registrations removed");
  } catch (err) {
    host.log.warn({ err }, "could not remove expired pending registrations");
  }
}

/** The texts of the registration's seed flow, from the gateway's statics. */
export function seedFlowTexts(meta: GatewayMeta, fields: readonly FormField[]): SeedFlowTexts {
  return {
    componentName: meta.COMPONENT_NAME,
    fields,
    instructions: meta.REGISTRATION_INSTRUCTIONS,
    twoFactorTitle: meta.REGISTRATION_2FA_TITLE,
    twoFactorInstructions: meta.REGISTRATION_2FA_INSTRUCTIONS,
    qrInstructions: meta.REGISTRATION_QR_INSTRUCTIONS,
  };
}
