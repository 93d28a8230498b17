export { AdHocCommands, type AdHocCommandsOptions, NS_COMMANDS } from "./adhoc.js";
export { ChatCommands, type ChatCommandsOptions, chatDialogueId } from "./chat.js";
export {
  assertAccess,
  type Command,
  type CommandAccess,
  type CommandPage,
  commandsFor,
  confirmation,
  type DialogueContext,
  type DisplayPage,
  type FormPage,
  type Requester,
  type ResultPage,
  type ResultTable,
  result,
} from "./commands.js";
export {
  DisplayStep,
  type DisplayView,
  FormStep,
  type FormView,
  type LegacyData,
  RegistrationFlow,
  type RegistrationState,
  type RegistrationStep,
  RegistrationType,
  type StepOutcome,
  type StepView,
  TwoFactorNotRequired,
} from "./flow.js";
export { type InBandRegistrationOptions, NS_REGISTER, serveInBandRegistration } from "./ibr.js";
export { renderQrPng, renderQrText } from "./qr.js";
export { QR_TIMEOUT_TEXT, QrConfirmations } from "./qr-confirmations.js";
export { NOT_ALLOWED_TEXT, Registrar, type RegistrarOptions } from "./registrar.js";
export {
  type PreferencesForm,
  preferencesPage,
  REGISTRATION_COMPLETE_TEXT,
  type RegistrationCommandsOptions,
  registrationCommands,
  UNREGISTERED_TEXT,
} from "./registration-commands.js";
export { type RegistrationHooks, type SeedFlowTexts, seedFlow } from "./seed-flows.js";
