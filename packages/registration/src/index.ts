export { RegistrationChat, type RegistrationChatOptions } from "./chat.js";
export {
  FormStep,
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
export { NOT_ALLOWED_TEXT, Registrar, type RegistrarOptions } from "./registrar.js";
export { type RegistrationHooks, type SeedFlowTexts, seedFlow } from "./seed-flows.js";
