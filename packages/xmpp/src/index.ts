export {
  type AvatarEventMessage,
  type AvatarMetadata,
  avatarDataItem,
  avatarEventMessage,
  avatarHash,
  avatarMetadataItem,
  type ImageSize,
  type ImageType,
  imageSize,
  NS_AVATAR_DATA,
  NS_AVATAR_METADATA,
  NS_PUBSUB,
  NS_PUBSUB_EVENT,
  type PubsubItemsRequest,
  parsePubsubItemsRequest,
  pepItemsResult,
} from "./avatar.js";
export {
  type IqAttributes,
  type IqRequestType,
  iq,
  iqResult,
  type MessageAttributes,
  type MessageType,
  message,
  type PresenceAttributes,
  type PresenceType,
  presence,
  type StanzaAttributes,
} from "./builders.js";
export {
  capsElement,
  capsVerification,
  capsVerificationString,
  type DiscoIdentity,
  type DiscoInfo,
  discoInfoElement,
  type EntityCapabilities,
  entityCapabilities,
  NS_CAPS,
  NS_DISCO_INFO,
} from "./caps.js";
export {
  buildChatMessage,
  buildPresence,
  type ChatMessage,
  type ChatMessageOptions,
  type ChatState,
  MAX_REACTION_CODE_POINTS,
  type MessageReactions,
  type PresenceOptions,
  type PresenceShow,
  type PrivilegeNamespaceUri,
  parseChatMessage,
  RETRACTION_FALLBACK_TEXT,
  type ReplyReference,
  type StanzaId,
  type StoreHint,
  wrapPrivilegedMessage,
} from "./chat-message.js";
export { type StanzaHandler, XmppComponent, type XmppComponentOptions } from "./component.js";
export {
  ComponentTransport,
  type ComponentTransportOptions,
  TransportError,
  type TransportErrorCode,
} from "./component-transport.js";
export {
  Element,
  type ElementChild,
  type ElementConstructor,
  isStanza,
  parseXml,
  type XmlAttributes,
  type XmlChildInput,
  xml,
} from "./element.js";
export {
  DEFAULT_ERROR_TYPES,
  errorReply,
  isStanzaErrorCondition,
  NS_STANZAS,
  type StanzaErrorCondition,
  type StanzaErrorType,
  toXmppError,
  XmppError,
  type XmppErrorOptions,
} from "./errors.js";
export {
  buildForm,
  type FormDefinition,
  type FormField,
  type FormFieldType,
  type FormOption,
  type FormType,
  type FormValue,
  type FormValues,
  NS_DATA_FORMS,
  type ParsedForm,
  parseForm,
  validateSubmission,
} from "./forms.js";
export {
  DEFAULT_UPLOAD_TIMEOUT_MS,
  HttpUploadError,
  NS_HTTP_UPLOAD,
  NS_OOB,
  type OutOfBandMessage,
  outOfBandMessage,
  requestUploadSlot,
  type UploadSlot,
  type UploadSlotRequest,
  uploadToSlot,
} from "./http-upload.js";
export { DEFAULT_IQ_TIMEOUT_MS, IqCaller, type IqCallerOptions } from "./iq-caller.js";
export {
  type IqContext,
  type IqHandler,
  type IqRecipient,
  type IqRequestKind,
  type IqRoute,
  IqRouter,
} from "./iq-router.js";
export { JID } from "./jid.js";
export {
  escapeLocalpart,
  isValidLocalpart,
  MAX_JID_PART_BYTES,
  sanitizeXmlText,
  unescapeLocalpart,
} from "./jid-escaping.js";
export { NS_PRIVILEGE, type PrivilegedIq, sendPrivilegedIq } from "./privileged-iq.js";
export type { StanzaTransport, TransportStatus } from "./transport.js";
export { NS_VCARD_TEMP, NS_VCARD4, type VCardInfo, vcard4Element, vcardTempElement } from "./vcard.js";
