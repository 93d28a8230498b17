import { type FormField, type FormValues, validateSubmission, XmppError } from "@gangway/xmpp";

/**
 * Registration is a step machine. A flow is an ordered list of steps; each step shows the user
 * something (a form to fill, or something to look at such as a QR code) and then completes with
 * the user's answer. Front ends (XEP-0077, XEP-0050 ad-hoc commands, a chat bot) only render the
 * current step's view and feed answers back, so every flow works through every front end that
 * can carry its views.
 */

export enum RegistrationType {
  SingleStepForm = "single-step-form",
  QrCode = "qr-code",
  TwoFactorCode = "two-factor-code",
}

/** What a step asks of the user. */
export type StepView =
  | { kind: "form"; stepId: string; title: string; instructions: string; fields: readonly FormField[] }
  | {
      kind: "display";
      stepId: string;
      title: string;
      instructions: string;
      /** What to show; `render: "qr"` means as a QR code (with the text beside it). */
      text: string;
      render: "qr" | "text";
    };

export type FormView = Extract<StepView, { kind: "form" }>;
export type DisplayView = Extract<StepView, { kind: "display" }>;

/** Data the app wants kept about a user (legacy tokens, device ids…): stored as the user's legacy data. */
export type LegacyData = Record<string, unknown>;

/** Mutable state of one registration in progress. Plain data, so a pending registration can be persisted. */
export interface RegistrationState {
  userJid: string;
  /** Validated answers of the form steps so far, merged. */
  values: FormValues;
  legacyData: LegacyData | undefined;
  stepIndex: number;
}

export interface StepOutcome {
  /** Merged into the registration's legacy data. */
  legacyData?: LegacyData | undefined;
  /** The app decided the remaining steps are not needed (e.g. no 2FA code after all). */
  skipRemaining?: boolean;
}

export interface RegistrationStep {
  readonly id: string;
  view(state: RegistrationState): Promise<StepView>;
  /** Checks the answer; throws XmppError to refuse it (the user stays on this step). */
  complete(state: RegistrationState, answer: FormValues): Promise<StepOutcome>;
}

/** A step that shows a form, validates the submission against its fields, then hands it to `accept`. */
export class FormStep implements RegistrationStep {
  constructor(
    readonly id: string,
    private readonly options: {
      title: string;
      instructions: string;
      fields: readonly FormField[];
      accept: (state: RegistrationState, values: FormValues) => Promise<StepOutcome>;
    },
  ) {}

  get fields(): readonly FormField[] {
    return this.options.fields;
  }

  async view(): Promise<StepView> {
    const { title, instructions, fields } = this.options;
    return { kind: "form", stepId: this.id, title, instructions, fields };
  }

  async complete(state: RegistrationState, answer: FormValues): Promise<StepOutcome> {
    const values = validateSubmission(this.options.fields, answer);
    const outcome = await this.options.accept(state, values);
    Object.assign(state.values, values);
    return outcome;
  }
}

/**
 * A step that shows something (a QR code to scan) and completes by itself, when the legacy side
 * says it has been used: `complete` waits for that, and takes no answer from the user.
 */
export class DisplayStep implements RegistrationStep {
  constructor(
    readonly id: string,
    private readonly options: {
      title: string;
      instructions: string;
      render: "qr" | "text";
      /** Produces what to show; called each time the step is shown (a fresh QR code after a restart). */
      text: (state: RegistrationState) => Promise<string>;
      /** Resolves once what was shown has been used; throws XmppError when it was not (timeout, refusal). */
      done: (state: RegistrationState) => Promise<StepOutcome>;
    },
  ) {}

  async view(state: RegistrationState): Promise<StepView> {
    const { title, instructions, render } = this.options;
    return {
      kind: "display",
      stepId: this.id,
      title,
      instructions,
      render,
      text: await this.options.text(state),
    };
  }

  complete(state: RegistrationState): Promise<StepOutcome> {
    return this.options.done(state);
  }
}

/** Thrown by an app's `validate` when the code step of a two-factor flow is not needed. */
export class TwoFactorNotRequired extends Error {
  override readonly name = "TwoFactorNotRequired";
  constructor(readonly legacyData?: LegacyData) {
    super("no two-factor code needed");
  }
}

/** An ordered list of steps, rendered by every front end. */
export class RegistrationFlow {
  constructor(
    readonly type: RegistrationType | string,
    readonly steps: readonly RegistrationStep[],
  ) {
    if (steps.length === 0) throw new Error("a registration flow needs at least one step");
  }

  /** True when one form is all there is: the shape XEP-0077 in-band registration can carry. */
  get isSingleForm(): boolean {
    return this.steps.length === 1 && this.steps[0] instanceof FormStep;
  }

  newState(userJid: string): RegistrationState {
    return { userJid, values: {}, legacyData: undefined, stepIndex: 0 };
  }

  currentStep(state: RegistrationState): RegistrationStep {
    const step = this.steps[state.stepIndex];
    if (!step) throw new XmppError("bad-request", "This registration is already complete.");
    return step;
  }

  /**
   * Feeds the answer to the current step. Returns the next step's view, or `undefined` when the
   * flow is complete and the user can be stored.
   */
  async advance(state: RegistrationState, answer: FormValues): Promise<StepView | undefined> {
    const outcome = await this.currentStep(state).complete(state, answer);
    if (outcome.legacyData) state.legacyData = { ...state.legacyData, ...outcome.legacyData };
    state.stepIndex = outcome.skipRemaining ? this.steps.length : state.stepIndex + 1;
    const next = this.steps[state.stepIndex];
    return next ? next.view(state) : undefined;
  }
}
