import { DuplicateUserError, type Store, type UserRow } from "@gangway/store";
import { type FormValues, XmppError } from "@gangway/xmpp";
import type { RegistrationFlow, RegistrationState, StepView } from "./flow.js";

export const NOT_ALLOWED_TEXT = "Your account is not allowed to use this gateway.";

export interface RegistrarOptions {
  flow: RegistrationFlow;
  store: Store;
  /** Whether a bare JID may use the gateway at all (`--user-jid-validator`). */
  isAllowed(bareJid: string): boolean;
  /** Called once a new user is stored, after the front end has answered the request. */
  onRegistered(user: UserRow): void;
  /** Called when an existing user changed their registration data. */
  onModified?(user: UserRow): void;
  /** Tears the user's session down before their rows are deleted. */
  onUnregister(user: UserRow): Promise<void>;
}

/**
 * Owns what every front end shares: who may register, running a flow to its end, storing the
 * user, and removing them again.
 */
export class Registrar {
  constructor(private readonly options: RegistrarOptions) {}

  get flow(): RegistrationFlow {
    return this.options.flow;
  }

  assertAllowed(bareJid: string): void {
    if (!this.options.isAllowed(bareJid)) throw new XmppError("not-allowed", NOT_ALLOWED_TEXT);
  }

  user(bareJid: string): Promise<UserRow | undefined> {
    return this.options.store.users.get(bareJid);
  }

  /** Starts a registration: the state to keep and the first view to show. */
  async begin(bareJid: string): Promise<{ state: RegistrationState; view: StepView }> {
    this.assertAllowed(bareJid);
    const state = this.flow.newState(bareJid);
    return { state, view: await this.flow.currentStep(state).view(state) };
  }

  /**
   * Feeds an answer to the current step: the next view, or the stored user once the flow is
   * complete. A refused answer throws XmppError and leaves the state on the same step.
   */
  async submit(state: RegistrationState, answer: FormValues): Promise<StepView | UserRow> {
    this.assertAllowed(state.userJid);
    const next = await this.flow.advance(state, answer);
    return next ?? this.store(state);
  }

  /**
   * Runs a single-form flow in one go (XEP-0077): validates the form with the app, then stores
   * the user, or updates the stored registration when the user is already registered.
   */
  async registerWithForm(bareJid: string, answer: FormValues): Promise<UserRow> {
    if (!this.flow.isSingleForm) {
      throw new XmppError(
        "not-acceptable",
        "This gateway needs more than one form to register: use its commands.",
      );
    }
    const { state } = await this.begin(bareJid);
    const result = await this.submit(state, answer);
    if ("kind" in result) throw new XmppError("not-acceptable", "This registration needs another step.");
    return result;
  }

  private async store(state: RegistrationState): Promise<UserRow> {
    const { store } = this.options;
    const bareJid = state.userJid;
    const data = { registration: state.values, legacyData: state.legacyData ?? null };
    const existing = await store.users.get(bareJid);
    if (existing) {
      const updated = await store.users.update(bareJid, data);
      if (!updated) throw new XmppError("item-not-found", "You are not registered to this gateway.");
      this.options.onModified?.(updated);
      return updated;
    }
    let user: UserRow;
    try {
      user = await store.users.create({ jid: bareJid, ...data });
    } catch (err) {
      if (err instanceof DuplicateUserError) throw new XmppError("conflict", "You are already registered.");
      throw err;
    }
    // After the front end's answer has gone out: the welcome message must follow the result.
    setImmediate(() => this.options.onRegistered(user));
    return user;
  }

  async unregister(bareJid: string): Promise<void> {
    const user = await this.options.store.users.get(bareJid);
    if (!user) throw new XmppError("item-not-found", "You are not registered to this gateway.");
    await this.options.onUnregister(user);
    await this.options.store.users.delete(bareJid);
  }
}
