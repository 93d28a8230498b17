/**
 * IRC channel prefixes as XEP-0045 roles and affiliations. Prefix modes come from ISUPPORT PREFIX
 * (`(qaohv)~&@%+`); the highest one a user holds decides: owner `q` → owner, admin `a` and op `o`
 * → admin, all three moderators; half-op `h` → member and moderator; voice `v` → member; anyone
 * else is a participant without affiliation (a channel is open: nobody is a member of it).
 */
export type OccupantRole = "moderator" | "participant";
export type OccupantAffiliation = "owner" | "admin" | "member" | "none";

export interface OccupantStanding {
  role: OccupantRole;
  affiliation: OccupantAffiliation;
}

const BY_MODE: Readonly<Record<string, OccupantStanding>> = {
  q: { role: "moderator", affiliation: "owner" },
  a: { role: "moderator", affiliation: "admin" },
  o: { role: "moderator", affiliation: "admin" },
  h: { role: "moderator", affiliation: "member" },
  v: { role: "participant", affiliation: "member" },
};
/** Highest first. */
const RANK = ["q", "a", "o", "h", "v"];
const NOBODY: OccupantStanding = { role: "participant", affiliation: "none" };

/** The standing of a user holding the prefix modes `modes` (letters: `o`, `v`…). */
export function standingFor(modes: Iterable<string>): OccupantStanding {
  const held = new Set(modes);
  for (const mode of RANK) if (held.has(mode)) return BY_MODE[mode] as OccupantStanding;
  return NOBODY;
}

/** Whether `mode` (a letter) is a prefix mode, i.e. one that changes a user's standing. */
export function isPrefixMode(mode: string): boolean {
  return mode in BY_MODE;
}

/**
 * The prefix-mode changes in a parsed MODE (`[{ mode: "+o", param: "bob" }]`): who gains or
 * loses which letter. Other modes (bans, keys, +m…) are left out.
 */
export function prefixChanges(
  modes: readonly { mode: string; param: string | null | undefined }[],
): { nick: string; mode: string; added: boolean }[] {
  const out: { nick: string; mode: string; added: boolean }[] = [];
  for (const { mode, param } of modes) {
    const letter = mode.slice(1);
    if (!param || !isPrefixMode(letter)) continue;
    out.push({ nick: param, mode: letter, added: mode.startsWith("+") });
  }
  return out;
}
