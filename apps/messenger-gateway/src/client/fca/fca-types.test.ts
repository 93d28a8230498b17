/**
 * The narrow view (fca-types.ts) against the library's own index.d.ts. The assignments below are
 * checked by `tsc` (the app's `typecheck` includes tests): if the library's `api` or event shapes
 * stop fitting what the adapter relies on, the typecheck fails here. The runtime part checks the
 * one place the d.ts is knowingly wrong (login's `appState`), against the library's code.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { IFCAU_API, IFCAU_Attachment, IFCAU_ListenMessage } from "@xaviabot/fca-unofficial";
import { describe, expect, it } from "vitest";
import type { FcaApi, FcaAttachment, FcaEvent, FcaThreadEvent } from "./fca-types.js";

/** Compiles only when `From` can be used where `To` is expected. */
type Fits<From extends To, To> = [From, To];

type LibraryEvent<T extends string> = Extract<IFCAU_ListenMessage, { type: T }>;
type LibraryLogEvent<T extends string> = Extract<IFCAU_ListenMessage, { logMessageType: T }>;
type OurEvent<T extends FcaEvent["type"]> = Extract<FcaEvent, { type: T }>;
type OurLogEvent<T extends FcaThreadEvent["logMessageType"]> = Extract<FcaThreadEvent, { logMessageType: T }>;

export type ShapeChecks = [
  Fits<IFCAU_API, FcaApi>,
  Fits<IFCAU_Attachment, FcaAttachment>,
  Fits<LibraryEvent<"message">, OurEvent<"message">>,
  Fits<LibraryEvent<"message_reply">, OurEvent<"message_reply">>,
  Fits<LibraryEvent<"message_reaction">, OurEvent<"message_reaction">>,
  Fits<LibraryEvent<"message_unsend">, OurEvent<"message_unsend">>,
  Fits<LibraryEvent<"typ">, OurEvent<"typ">>,
  Fits<LibraryEvent<"read_receipt">, OurEvent<"read_receipt">>,
  Fits<LibraryEvent<"read">, OurEvent<"read">>,
  Fits<LibraryEvent<"presence">, OurEvent<"presence">>,
  Fits<LibraryLogEvent<"log:thread-name">, OurLogEvent<"log:thread-name">>,
  Fits<LibraryLogEvent<"log:thread-image">, OurLogEvent<"log:thread-image">>,
  Fits<LibraryLogEvent<"log:subscribe">, OurLogEvent<"log:subscribe">>,
  Fits<LibraryLogEvent<"log:unsubscribe">, OurLogEvent<"log:unsubscribe">>,
  Fits<LibraryLogEvent<"log:thread-admins">, OurLogEvent<"log:thread-admins">>,
];

describe("the narrow view of @xaviabot/fca-unofficial", () => {
  const require = createRequire(import.meta.url);
  const libraryDir = require.resolve("@xaviabot/fca-unofficial").replace(/index\.js$/, "");

  it("is pinned to the version it was written against", async () => {
    const pkg = JSON.parse(await readFile(`${libraryDir}package.json`, "utf8")) as { version: string };
    expect(pkg.version).toBe("1.4.0");
  });

  it("passes login the cookie array itself, as the library's code reads it (not the d.ts's wrapper)", async () => {
    const code = await readFile(`${libraryDir}index.js`, "utf8");
    expect(code).toContain("loginData.appState,");
    expect(code).toMatch(/appState\.map\(function\s*\(c\)/);
  });

  it("relies on the option names the library's setOptions knows", async () => {
    const code = await readFile(`${libraryDir}index.js`, "utf8");
    const { FCA_OPTIONS } = await import("./fca-login.js");
    for (const option of Object.keys(FCA_OPTIONS)) expect(code).toContain(`case "${option}":`);
  });

  it("reports presence only with updatePresence off, which is why the adapter sets it so", async () => {
    const code = await readFile(`${libraryDir}src/listenMqtt.js`, "utf8");
    expect(code).toContain("if (!ctx.globalOptions.updatePresence)");
    const { FCA_OPTIONS } = await import("./fca-login.js");
    expect(FCA_OPTIONS.updatePresence).toBe(false);
  });
});
