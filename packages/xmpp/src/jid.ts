import { XmppError } from "./errors.js";
import { isValidLocalpart, MAX_JID_PART_BYTES } from "./jid-escaping.js";

// Why not @xmpp/jid (0.13), which xmpp.js uses internally: it validates nothing but a non-empty
// domain (and then throws a TypeError, not a stanza error), so "@example.com", "a@b/", a localpart
// with controls or of 2000 bytes all parse. Its setters silently escape a localpart they think is
// unescaped, and its escape trims surrounding spaces, so the legacy ids " bob" and "bob" would
// become one JID; XEP-0106 forbids the first, and escapeLocalpart refuses it. Its objects are
// mutable and keep a trailing-dot domain as a different domain. Wrapping it would mean redoing all
// of this on top of a parser that is an indexOf and two slices, so this module stands alone.

/**
 * An XMPP address (RFC 7622), immutable. Localpart and domain are compared case-insensitively, so
 * they are stored lowercased; the resource keeps its case. The localpart is kept exactly as on the
 * wire (still XEP-0106-escaped); use `unescapeLocalpart()` to get the original string back.
 */
export class JID {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;

  constructor(local: string, domain: string, resource = "") {
    this.local = local.toLowerCase();
    // A trailing dot is the DNS root, not part of the name (RFC 7622 §3.2).
    this.domain = (domain.endsWith(".") ? domain.slice(0, -1) : domain).toLowerCase();
    this.resource = resource;
    if (this.domain === "" || /[@/\s]/.test(this.domain)) {
      throw new XmppError("jid-malformed", `${JSON.stringify(domain)} is not a valid JID domain.`);
    }
    if (this.local !== "" && !isValidLocalpart(this.local)) {
      throw new XmppError(
        "jid-malformed",
        `${JSON.stringify(local)} is not a valid (escaped) JID localpart.`,
      );
    }
    if (Buffer.byteLength(resource, "utf8") > MAX_JID_PART_BYTES) {
      throw new XmppError(
        "jid-malformed",
        `The JID resourcepart is longer than ${MAX_JID_PART_BYTES} bytes.`,
      );
    }
  }

  /**
   * Parses `local@domain/resource` the RFC 7622 §3.2 way: the resource starts at the first `/`,
   * the localpart ends at the first `@` before it. Throws `XmppError("jid-malformed")`.
   */
  static parse(text: string): JID {
    const slash = text.indexOf("/");
    const bare = slash === -1 ? text : text.slice(0, slash);
    if (slash !== -1 && slash === text.length - 1) throw malformed(text, "empty resourcepart");
    const at = bare.indexOf("@");
    if (at === 0) throw malformed(text, "empty localpart");
    return new JID(
      at === -1 ? "" : bare.slice(0, at),
      at === -1 ? bare : bare.slice(at + 1),
      slash === -1 ? "" : text.slice(slash + 1),
    );
  }

  /** Like {@link JID.parse} but returns `undefined` instead of throwing. */
  static tryParse(text: string | undefined): JID | undefined {
    if (text === undefined) return undefined;
    try {
      return JID.parse(text);
    } catch {
      return undefined;
    }
  }

  /** This JID without its resource (itself when it has none). */
  bare(): JID {
    return this.resource === "" ? this : new JID(this.local, this.domain);
  }

  /** True when the JID has no resource. */
  get isBare(): boolean {
    return this.resource === "";
  }

  equals(other: JID): boolean {
    return this.local === other.local && this.domain === other.domain && this.resource === other.resource;
  }

  toString(): string {
    const bare = this.local === "" ? this.domain : `${this.local}@${this.domain}`;
    return this.resource === "" ? bare : `${bare}/${this.resource}`;
  }
}

function malformed(text: string, reason: string): XmppError {
  return new XmppError("jid-malformed", `${JSON.stringify(text)} is not a valid JID: ${reason}.`);
}
