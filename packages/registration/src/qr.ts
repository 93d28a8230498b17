import QRCode from "qrcode";

/**
 * Quiet zone in modules. ISO/IEC 18004 asks for 4; phone scanners locate the code far less
 * reliably with less, especially on a dark chat background.
 */
const MARGIN_MODULES = 4;
/** About the size a phone camera reads comfortably from a screen at arm's length. */
const TARGET_PNG_PIXELS = 300;
/** Below 2 pixels per module, resampling by the viewer blurs modules into each other. */
const MIN_PIXELS_PER_MODULE = 2;

/**
 * Medium error correction (15%): the usual choice for codes shown on screens, which do not get
 * dirty or torn; higher levels only make the code denser and its texts shorter.
 */
const ERROR_CORRECTION = "M";
/** Byte-mode capacity of the largest symbol (version 40) at {@link ERROR_CORRECTION}. */
const MAX_BYTES = 2331;

/**
 * A PNG of `text` as a QR code, about 300 pixels wide with a 4-module quiet zone. The scale is a
 * whole number of pixels per module so every module has the same size: fractional scales give
 * modules of uneven widths, which scanners read worse.
 */
export async function renderQrPng(text: string): Promise<Buffer> {
  const size = encode(text).modules.size;
  const scale = Math.max(MIN_PIXELS_PER_MODULE, Math.round(TARGET_PNG_PIXELS / (size + 2 * MARGIN_MODULES)));
  return QRCode.toBuffer(text, {
    type: "png",
    errorCorrectionLevel: ERROR_CORRECTION,
    margin: MARGIN_MODULES,
    scale,
  });
}

/**
 * `text` as a QR code drawn with the half-block characters ▀ ▄ █ and spaces, for a chat message in
 * a monospace font. It is compact because each character stands for two modules stacked
 * vertically: monospace cells are about twice as tall as wide, so one character per module pair
 * keeps modules roughly square and the code half as many lines tall as with one module per line.
 * Dark modules are the glyphs and light ones the background, so the code scans as is on a light
 * chat theme; on a dark theme it comes out inverted, which most phone scanners still read.
 */
export async function renderQrText(text: string): Promise<string> {
  encode(text);
  return QRCode.toString(text, {
    type: "utf8",
    errorCorrectionLevel: ERROR_CORRECTION,
    margin: MARGIN_MODULES,
  });
}

/**
 * Encodes once to check that `text` fits, so callers get our error rather than the library's
 * (whose wording and type are not part of its API), and to learn the symbol's size.
 */
function encode(text: string): QRCode.QRCode {
  if (text.length === 0) throw new Error("Cannot make a QR code of an empty text.");
  try {
    return QRCode.create(text, { errorCorrectionLevel: ERROR_CORRECTION });
  } catch (cause) {
    if (!(cause instanceof Error && /too big|cannot contain/i.test(cause.message))) throw cause;
    const bytes = Buffer.byteLength(text, "utf8");
    throw new Error(
      `The text is too long for a QR code: ${bytes} bytes of UTF-8, and at error correction level ` +
        `${ERROR_CORRECTION} a QR code holds at most ${MAX_BYTES} bytes of arbitrary text.`,
      { cause },
    );
  }
}
