import type { MessengerAttachment, MessengerThread, MessengerUser } from "./port.js";

/**
 * The fixed world of the `fake` backend: who is in it, what each account can change of it (Family's
 * name, members, admins and picture; the friends' names and pictures), and the media alice.fb
 * sends on request. Each account has its own copy of the changeable part, kept by the cloud.
 */

// Where the fake cloud serves files (first: the world below is built with them).
const PICTURES = "fake://pictures/";
const MEDIA = "fake://media/";
export const UPLOADS = "fake://uploads/";

/** The code every login checkpoint of the fake cloud accepts. */
export const CHECKPOINT_CODE = "123456";

/** The friend who answers everything. */
export const ALICE = "alice.fb";
export const BOB = "bob.fb";
export const FAMILY = "family";

/** An email starting with this raises a checkpoint only a browser can pass. */
export const BROWSER_CHECKPOINT_PREFIX = "browser";

/** A friend's changeable profile. `picture` is a version: a new one is a new picture. */
export interface FakeProfile {
  name: string;
  picture: number;
}

/** Family, as one account sees it. */
export interface FakeGroup {
  name: string;
  participantIds: string[];
  adminIds: string[];
  picture: number;
}

export const INITIAL_PROFILES: Readonly<Record<string, FakeProfile>> = {
  [ALICE]: { name: "Alice Facebook", picture: 1 },
  [BOB]: { name: "Bob Facebook", picture: 1 },
};

export function initialFamily(): FakeGroup {
  return { name: "Family", participantIds: [ALICE, BOB], adminIds: [ALICE], picture: 1 };
}

/** Who is "active now" (presence is not changeable in the fake world). */
const ACTIVE: ReadonlySet<string> = new Set([ALICE]);

/** The initial friends (before any rename), as a newcomer's account lists them. */
export const FAKE_FRIENDS: readonly MessengerUser[] = [ALICE, BOB].map((id) =>
  friendOf(id, INITIAL_PROFILES[id]!),
);

/** The initial threads: the two 1:1 chats and Family. */
export const FAKE_THREADS: readonly MessengerThread[] = [
  { id: ALICE, name: "Alice Facebook", isGroup: false, participantIds: [ALICE] },
  { id: BOB, name: "Bob Facebook", isGroup: false, participantIds: [BOB] },
  familyThread(initialFamily()),
];

export function friendOf(id: string, profile: FakeProfile): MessengerUser {
  return { id, name: profile.name, avatarUrl: pictureUrl(id, profile.picture), active: ACTIVE.has(id) };
}

export function familyThread(family: FakeGroup): MessengerThread {
  return {
    id: FAMILY,
    name: family.name,
    isGroup: true,
    participantIds: [...family.participantIds],
    adminIds: [...family.adminIds],
    imageUrl: pictureUrl(FAMILY, family.picture),
  };
}

// ---- where the fake cloud serves files ----

/** A profile or group picture: `fake://pictures/<id>/<version>.png`. */
export function pictureUrl(id: string, version: number): string {
  return `${PICTURES}${encodeURIComponent(id)}/${version}.png`;
}

/** The id and version of a picture URL, or undefined when it is none of the cloud's. */
export function parsePictureUrl(url: string): { id: string; version: number } | undefined {
  if (!url.startsWith(PICTURES)) return undefined;
  const match = /^([^/]+)\/(\d{1,9})\.png$/.exec(url.slice(PICTURES.length));
  if (!match) return undefined;
  try {
    return { id: decodeURIComponent(match[1]!), version: Number(match[2]) };
  } catch {
    return undefined;
  }
}

/** The media alice.fb sends on request, by name (served at `fake://media/<name>`). */
export type MediaName = "photo.png" | "day.png" | "night.png" | "sticker.png" | "voice.ogg";

export function mediaUrl(name: MediaName): string {
  return MEDIA + name;
}

export function parseMediaUrl(url: string): MediaName | undefined {
  const name = url.startsWith(MEDIA) ? url.slice(MEDIA.length) : "";
  return (["photo.png", "day.png", "night.png", "sticker.png", "voice.ogg"] as const).find((n) => n === name);
}

/** The texts to alice.fb that make her send files, and what each sends (one message). */
export const FILE_COMMANDS: Readonly<
  Record<string, { text: string; files: Omit<MessengerAttachment, "id">[] }>
> = {
  "/photo": {
    text: "A photo from Alice",
    files: [{ kind: "image", url: mediaUrl("photo.png"), fileName: "photo.png", mimeType: "image/png" }],
  },
  "/album": {
    text: "Day and night",
    files: [
      { kind: "image", url: mediaUrl("day.png"), fileName: "day.png", mimeType: "image/png" },
      { kind: "image", url: mediaUrl("night.png"), fileName: "night.png", mimeType: "image/png" },
    ],
  },
  "/sticker": {
    text: "",
    files: [
      {
        kind: "sticker",
        url: mediaUrl("sticker.png"),
        fileName: "sticker.png",
        mimeType: "image/png",
        description: "👋",
      },
    ],
  },
  "/voice": {
    text: "",
    files: [
      {
        kind: "voice",
        url: mediaUrl("voice.ogg"),
        fileName: "voice.ogg",
        mimeType: "audio/ogg",
        durationMs: 1000,
      },
    ],
  },
};

/**
 * What a text in Family makes its members do: `/rename <name>` (bob renames it), `/kick-bob` and
 * `/add-bob` (alice removes or adds bob), `/admin-bob` (alice makes bob an admin), `/picture`
 * (bob sets a new group picture).
 */
export type FamilyCommand =
  | { kind: "rename"; name: string }
  | { kind: "kick-bob" }
  | { kind: "add-bob" }
  | { kind: "admin-bob" }
  | { kind: "picture" };

export function parseFamilyCommand(text: string): FamilyCommand | undefined {
  const trimmed = text.trim();
  const rename = /^\/rename\s+(.+)$/s.exec(trimmed);
  if (rename) return { kind: "rename", name: rename[1]!.trim().slice(0, 100) };
  if (trimmed === "/kick-bob") return { kind: "kick-bob" };
  if (trimmed === "/add-bob") return { kind: "add-bob" };
  if (trimmed === "/admin-bob") return { kind: "admin-bob" };
  if (trimmed === "/picture") return { kind: "picture" };
  return undefined;
}

/**
 * What a text to alice.fb makes her change of her profile: the same words as in Family,
 * `/rename <name>` (her new name) and `/picture` (a new profile picture).
 */
export type ProfileCommand = { kind: "name"; name: string } | { kind: "picture" };

export function parseProfileCommand(text: string): ProfileCommand | undefined {
  const command = parseFamilyCommand(text);
  if (command?.kind === "rename") return { kind: "name", name: command.name };
  if (command?.kind === "picture") return { kind: "picture" };
  return undefined;
}
