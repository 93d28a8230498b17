import type { FormField, FormValues } from "@gangway/xmpp";
import {
  DisplayStep,
  FormStep,
  type LegacyData,
  RegistrationFlow,
  RegistrationType,
  TwoFactorNotRequired,
} from "./flow.js";
import type { QrConfirmations } from "./qr-confirmations.js";

/** What the gateway app provides to the seed flows (BaseGateway implements it). */
export interface RegistrationHooks {
  /**
   * Checks the credentials form, usually by logging in to the legacy network. Throw an XmppError
   * (e.g. `not-authorized` "Wrong password") to refuse. Returned data is stored as legacy data.
   * In a two-factor flow, throw `TwoFactorNotRequired` to skip the code step.
   */
  validate(userJid: string, values: FormValues): Promise<LegacyData | undefined | void>;
  validateTwoFactorCode?(
    userJid: string,
    code: string,
    legacyData: LegacyData | undefined,
  ): Promise<LegacyData | undefined | void>;
  /** QR flows: the text to show as a QR code (a pairing token); the scan is confirmed through `qr`. */
  getQrText?(userJid: string, values: FormValues): Promise<string>;
  /** QR flows: where the app's `confirmQr` calls arrive. */
  qr?: QrConfirmations;
}

export interface SeedFlowTexts {
  componentName: string;
  fields: readonly FormField[];
  instructions: string;
  twoFactorTitle?: string;
  twoFactorInstructions?: string;
  qrInstructions?: string;
}

function credentialsStep(hooks: RegistrationHooks, texts: SeedFlowTexts, allowSkip: boolean): FormStep {
  return new FormStep("credentials", {
    title: `Registration to '${texts.componentName}'`,
    instructions: texts.instructions,
    fields: texts.fields,
    accept: async (state, values) => {
      try {
        return { legacyData: (await hooks.validate(state.userJid, values)) ?? undefined };
      } catch (err) {
        if (allowSkip && err instanceof TwoFactorNotRequired)
          return { legacyData: err.legacyData, skipRemaining: true };
        throw err;
      }
    },
  });
}

/** Builds one of the seed flows from the app's hooks and texts. */
export function seedFlow(
  type: RegistrationType,
  hooks: RegistrationHooks,
  texts: SeedFlowTexts,
): RegistrationFlow {
  switch (type) {
    case RegistrationType.SingleStepForm:
      return new RegistrationFlow(type, [credentialsStep(hooks, texts, false)]);
    case RegistrationType.TwoFactorCode: {
      const validateCode = hooks.validateTwoFactorCode;
      if (!validateCode) throw new Error("a two-factor registration flow needs validateTwoFactorCode()");
      const codeStep = new FormStep("code", {
        title: texts.twoFactorTitle ?? "Enter your code",
        instructions: texts.twoFactorInstructions ?? "You should have received a code. Enter it here.",
        fields: [{ var: "code", type: "text-single", label: "Code", required: true }],
        accept: async (state, values) => ({
          legacyData: (await validateCode(state.userJid, String(values.code), state.legacyData)) ?? undefined,
        }),
      });
      return new RegistrationFlow(type, [credentialsStep(hooks, texts, true), codeStep]);
    }
    case RegistrationType.QrCode: {
      const { getQrText, qr } = hooks;
      if (!getQrText || !qr) throw new Error("a QR registration flow needs getQrText() and QR confirmations");
      const scanStep = new DisplayStep("qr", {
        title: "Scan this QR code",
        instructions: texts.qrInstructions ?? "Scan this QR code with the network's official app.",
        render: "qr",
        text: async (state) => {
          const text = await getQrText(state.userJid, state.values);
          qr.expect(state.userJid);
          return text;
        },
        done: async (state) => ({ legacyData: (await qr.wait(state.userJid)) ?? undefined }),
      });
      // The form comes first only when the network asks for something besides the scan.
      const steps = texts.fields.length > 0 ? [credentialsStep(hooks, texts, false), scanStep] : [scanStep];
      return new RegistrationFlow(type, steps);
    }
    default:
      throw new Error(`unknown registration type ${String(type)}`);
  }
}
