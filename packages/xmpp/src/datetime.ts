/**
 * XEP-0082 DateTime, both ways. Room history and archives carry timestamps a client sends
 * (`<history since>`, MAM `start`/`end`), so reading them must be strict enough that a typo is
 * refused rather than read as "the beginning of time".
 */

/**
 * XEP-0082 DateTime in UTC. Milliseconds are written only when nonzero, as chat-message.ts does for
 * `<delay/>`: the XEP examples use whole seconds and some parsers reject fractions.
 */
export function formatXmppDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("Invalid date.");
  const iso = date.toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

// CCYY-MM-DDThh:mm:ss[.sss]TZD, TZD = Z or ±hh:mm (XEP-0082 §3.2). Any number of fraction digits
// is accepted (Prosody writes microseconds); only the first three count.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads an XEP-0082 DateTime, or returns `undefined` when `text` is not one (including impossible
 * dates such as February 30th, which `Date` would silently roll over into March).
 */
export function parseXmppDateTime(text: string): Date | undefined {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = "", zone] = match;
  const millis = Number(fraction.slice(0, 3).padEnd(3, "0"));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const check = new Date(0);
  check.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  check.setUTCHours(Number(hour), Number(minute), Number(second), millis);
  const utc = check.getTime();
  if (
    check.getUTCFullYear() !== Number(year) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    check.getUTCHours() !== Number(hour) ||
    check.getUTCMinutes() !== Number(minute) ||
    check.getUTCSeconds() !== Number(second)
  ) {
    return undefined;
  }
  if (zone === "Z" || zone === undefined) return check;
  const sign = zone.startsWith("-") ? -1 : 1;
  const offsetHours = Number(zone.slice(1, 3));
  const offsetMinutes = Number(zone.slice(4, 6));
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  return new Date(utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}
