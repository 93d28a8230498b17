// Build-time-only declarations for the untyped xmpp.js 0.13 packages (CommonJS, no bundled types).
// They are deliberately loose (`unknown`-returning): every value taken from these modules is
// re-exported from our own sources under our own, precise types, so nothing in the emitted
// declarations refers to "@xmpp/*" and consumers need no ambient module declarations at all.

declare module "@xmpp/xml" {
  const xml: {
    (name: string, attrs?: Record<string, unknown> | null, ...children: unknown[]): unknown;
    Element: new (name: string, attrs?: Record<string, unknown>) => unknown;
    Parser: new () => import("node:events").EventEmitter & { write(data: string): void };
  };
  export default xml;
}

declare module "@xmpp/id" {
  const id: () => string;
  export default id;
}

declare module "@xmpp/component-core" {
  const componentCore: { Component: new (options: { service: string; domain: string }) => unknown };
  export default componentCore;
}
