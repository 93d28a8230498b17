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
export { type BackoffOptions, DEFAULT_BACKOFF, reconnectDelay } from "./backoff.js";
export {
  type Bookmark,
  bookmarkPublishIq,
  bookmarkRetractIq,
  bookmarksQueryIq,
  type DirectInvitationOptions,
  directInvitation,
  NS_BOOKMARKS,
  NS_CONFERENCE,
  parseBookmarks,
} from "./bookmarks.js";
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
  type EntityCapabilities,
  entityCapabilities,
  NS_CAPS,
} from "./caps.js";
export { unprivilegedCopy } from "./carbon-fallback.js";
export {
  buildChatMessage,
  buildPresence,
  type ChatMessage,
  type ChatMessageOptions,
  type ChatState,
  MAX_REACTION_CODE_POINTS,
  type MessageReactions,
  type PresenceOptions,
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
  NS_PING,
  StanzaTooLargeError,
  TransportError,
  type TransportErrorCode,
} from "./component-transport.js";
export { formatXmppDateTime, parseXmppDateTime } from "./datetime.js";
export {
  type DiscoIdentity,
  type DiscoInfo,
  type DiscoItem,
  discoInfoResult,
  discoItemsResult,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
} from "./disco.js";
export { discoFeaturesIn, discoInfoQuery, probeFeatures } from "./disco-probe.js";
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
  type UserFacingFailure,
  XmppError,
  type XmppErrorOptions,
} from "./errors.js";
export {
  type DeclaredFile,
  fileMetadataElement,
  NS_FILE_METADATA,
  NS_HASHES,
  NS_SFS,
  NS_URL_DATA,
  type SharedFile,
  sharedFileElements,
  sharedFileOf,
} from "./file-sharing.js";
export {
  buildForm,
  checkFieldLengths,
  exceedsChars,
  type FormDefinition,
  type FormField,
  type FormFieldType,
  type FormOption,
  type FormType,
  type FormValue,
  type FormValues,
  isCancelForm,
  NS_DATA_FORMS,
  type ParsedForm,
  parseForm,
  type SubmissionLimits,
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
  uploadStreamToSlot,
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
export { escapeLocalpart, isValidLocalpart, MAX_JID_PART_BYTES, unescapeLocalpart } from "./jid-escaping.js";
export {
  type MamBoundary,
  type MamFinOptions,
  type MamQuery,
  type MamResultOptions,
  mamFin,
  mamItemNotFound,
  mamMetadata,
  mamQueryForm,
  mamResultMessage,
  NS_MAM,
  NS_MAM_EXTENDED,
  NS_RSM,
  parseMamQuery,
} from "./mam.js";
export {
  checkChatMessage,
  MESSAGE_LIMIT_TEXTS,
  MESSAGE_LIMITS,
  type MessageLimits,
  readReaction,
  utf8Length,
} from "./message-limits.js";
export {
  buildGroupchatMessage,
  buildMucPrivateMessage,
  buildSubjectMessage,
  classifyMucPing,
  type GroupchatMessageOptions,
  type MucPingVerdict,
  type MucPrivateMessageOptions,
  mucPingError,
  mucPingReply,
  NS_MUC_ROOMINFO,
  NS_MUC_STABLE_ID,
  parseRoomMessage,
  type RoomInfo,
  type RoomMessage,
  roomAvatarPresence,
  roomDiscoInfo,
  roomDiscoItems,
  type SubjectMessageOptions,
} from "./muc.js";
export {
  type MucAdminChange,
  type MucAdminItem,
  type MucAdminRequest,
  mucAdminList,
  NS_MUC_ADMIN,
  parseMucAdminRequest,
} from "./muc-admin.js";
export {
  buildModeratedRetraction,
  type ModeratedRetractionOptions,
  type ModerationRequest,
  NS_FASTEN,
  NS_MODERATE,
  NS_MODERATE_LEGACY,
  parseModerationRequest,
} from "./muc-moderation.js";
export {
  buildOccupantPresence,
  type MucAffiliation,
  type MucErrorKind,
  type MucHistoryRequest,
  type MucPresence,
  type MucRole,
  type MucStatusCode,
  mucError,
  mucJoinErrorPresence,
  NS_MUC,
  NS_MUC_USER,
  NS_OCCUPANT_ID,
  type OccupantPresenceOptions,
  parseMucPresence,
} from "./muc-presence.js";
export {
  NS_VCARD_UPDATE,
  type ParsedUserPresence,
  type PresenceShow,
  parseAvatarUpdateHash,
  parseUserPresence,
  type SubscriptionPresenceOptions,
  type SubscriptionType,
  subscriptionPresence,
} from "./presence.js";
export {
  type IqPermission,
  type MessagePermission,
  PRIVILEGE_NAMESPACES,
  type PresencePermission,
  type PrivilegeNamespace,
  type Privileges,
  parsePrivilegeAdvertisement,
  type RosterPermission,
} from "./privilege.js";
export { NS_PRIVILEGE, type PrivilegedIq, sendPrivilegedIq } from "./privileged-iq.js";
export { NS_REACTIONS_RESTRICTIONS, reactionRestrictionsForm } from "./reactions.js";
export {
  buildMention,
  jidFromXmppUri,
  type Mention,
  NS_REFERENCE,
  parseMentions,
  xmppUri,
} from "./references.js";
export {
  NS_ROSTER,
  type ParsedRosterItem,
  parseRosterItems,
  type RosterItem,
  type RosterSubscription,
  rosterGetIq,
  rosterSetIq,
  sameRosterItem,
} from "./roster.js";
export {
  gatewayJidQuery,
  gatewayPromptQuery,
  NS_GATEWAY,
  NS_SEARCH,
  parseGatewayPrompt,
  parseSearchSubmission,
  type SearchForm,
  type SearchResultTable,
  searchFormQuery,
  searchResultQuery,
} from "./search.js";
export type { StanzaTransport, TransportStatus } from "./transport.js";
export { discoverUploadService, type UploadService, uploadServiceIn } from "./upload-service.js";
export {
  NODE_VCARD4,
  NS_VCARD_TEMP,
  NS_VCARD4,
  parseVCardTempPhoto,
  type VCardInfo,
  type VCardPhoto,
  vcard4Element,
  vcard4PepItem,
  vcardTempElement,
  vcardTempRequest,
} from "./vcard.js";
export { sanitizeXmlText } from "./xml-text.js";
