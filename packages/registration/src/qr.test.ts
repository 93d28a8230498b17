import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { renderQrPng, renderQrText } from "./qr.js";

// jsqr is CommonJS with its function on both `module.exports` and `.default`; its typings only
// describe `.default`, so take whichever this loader hands out.
type JsQr = typeof jsQRModule.default;
const jsQR: JsQr = jsQRModule.default ?? (jsQRModule as unknown as JsQr);

interface Image {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

function decodeImage(image: Image): { text: string; bytes: number[] } {
  const found = jsQR(image.rgba, image.width, image.height, { inversionAttempts: "dontInvert" });
  if (!found) throw new Error("jsQR found no QR code in the image");
  return { text: found.data, bytes: found.binaryData };
}

function readPng(png: Buffer): Image {
  const decoded = PNG.sync.read(png);
  return { width: decoded.width, height: decoded.height, rgba: new Uint8ClampedArray(decoded.data) };
}

function isDarkPixel(image: Image, x: number, y: number): boolean {
  const offset = (y * image.width + x) * 4;
  return (image.rgba[offset] ?? 255) < 128;
}

/** Turns the half-block rendering back into rows of modules (true = dark), two rows per line. */
function textToModules(rendering: string): boolean[][] {
  const halves: Record<string, [boolean, boolean]> = {
    " ": [false, false],
    "▀": [true, false],
    "▄": [false, true],
    "█": [true, true],
  };
  const rows: boolean[][] = [];
  for (const line of rendering.split("\n")) {
    const top: boolean[] = [];
    const bottom: boolean[] = [];
    for (const char of line) {
      const pair = halves[char];
      if (!pair)
        throw new Error(`unexpected character U+${char.codePointAt(0)?.toString(16)} in the rendering`);
      top.push(pair[0]);
      bottom.push(pair[1]);
    }
    rows.push(top, bottom);
  }
  return rows;
}

/** Draws modules as an RGBA image, `scale` pixels per module, the way a screen would show them. */
function modulesToImage(modules: boolean[][], scale: number): Image {
  const height = modules.length * scale;
  const width = (modules[0]?.length ?? 0) * scale;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (modules[Math.floor(y / scale)]?.[Math.floor(x / scale)]) {
        const offset = (y * width + x) * 4;
        rgba[offset] = rgba[offset + 1] = rgba[offset + 2] = 0;
      }
    }
  }
  return { width, height, rgba };
}

/** The 7×7 finder pattern: dark ring, light ring, dark 3×3 centre. */
function hasFinderAt(modules: boolean[][], top: number, left: number): boolean {
  for (let dy = 0; dy < 7; dy++) {
    for (let dx = 0; dx < 7; dx++) {
      const ring = Math.max(Math.abs(dy - 3), Math.abs(dx - 3));
      const expectedDark = ring !== 2;
      if (modules[top + dy]?.[left + dx] !== expectedDark) return false;
    }
  }
  return true;
}

const PAIRING_URI = "https://pair.example.org/link?token=Zm9vYmFyYmF6cXV4&device=gangway";

describe("renderQrPng", () => {
  it("encodes the text so that a real decoder reads it back", async () => {
    const png = await renderQrPng(PAIRING_URI);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(decodeImage(readPng(png)).text).toBe(PAIRING_URI);
  });

  it("is a square of about 300 px with a light quiet zone of 4 modules", async () => {
    const image = readPng(await renderQrPng(PAIRING_URI));
    expect(image.width).toBe(image.height);
    expect(image.width).toBeGreaterThanOrEqual(250);
    expect(image.width).toBeLessThanOrEqual(350);
    // The top-left module of the symbol is the dark corner of a finder pattern: the first dark
    // pixel on the diagonal gives the quiet zone's width in pixels.
    let quiet = 0;
    while (!isDarkPixel(image, quiet, quiet)) quiet++;
    for (let i = 0; i < image.width; i++) {
      for (let band = 0; band < quiet; band++) {
        expect(isDarkPixel(image, i, band)).toBe(false);
        expect(isDarkPixel(image, band, i)).toBe(false);
        expect(isDarkPixel(image, i, image.height - 1 - band)).toBe(false);
        expect(isDarkPixel(image, image.width - 1 - band, i)).toBe(false);
      }
    }
    // Quiet zone = 4 modules, and the symbol + zone fill the image exactly: width = (modules + 8) × scale.
    const scale = quiet / 4;
    expect(Number.isInteger(scale)).toBe(true);
    const modules = image.width / scale - 8;
    expect(Number.isInteger(modules)).toBe(true);
    expect((modules - 17) % 4).toBe(0); // QR symbols are 17 + 4·version modules wide
  });

  it("keeps non-ASCII text intact as UTF-8", async () => {
    const text = "gangway-demo:zoë";
    const decoded = decodeImage(readPng(await renderQrPng(text)));
    expect(decoded.text).toBe(text);
    expect(Buffer.from(decoded.bytes)).toEqual(Buffer.from(text, "utf8"));
  });
});

describe("renderQrText", () => {
  it("uses only half blocks and spaces, in lines of equal width", async () => {
    const rendering = await renderQrText(PAIRING_URI);
    expect(rendering).toMatch(/^[ ▀▄█\n]+$/u);
    const widths = new Set(rendering.split("\n").map((line) => [...line].length));
    expect(widths.size).toBe(1);
  });

  it("holds two module rows per line, with the finder patterns inside a 4-module quiet zone", async () => {
    const rendering = await renderQrText(PAIRING_URI);
    const modules = textToModules(rendering);
    const width = modules[0]?.length ?? 0;
    const symbol = width - 8;
    expect((symbol - 17) % 4).toBe(0);
    // QR symbols have an odd number of rows, so the last line pads one light row: lines = ⌈(symbol + 8) / 2⌉.
    expect(rendering.split("\n")).toHaveLength(Math.ceil((symbol + 8) / 2));
    expect(hasFinderAt(modules, 4, 4)).toBe(true);
    expect(hasFinderAt(modules, 4, 4 + symbol - 7)).toBe(true);
    expect(hasFinderAt(modules, 4 + symbol - 7, 4)).toBe(true);
    expect(hasFinderAt(modules, 4 + symbol - 7, 4 + symbol - 7)).toBe(false);
    for (let i = 0; i < 4; i++) {
      expect(modules[i]?.some(Boolean)).toBe(false);
      expect(modules.some((row) => row[i] || row[width - 1 - i])).toBe(false);
    }
  });

  it("decodes back to the text, non-ASCII included, once drawn as pixels", async () => {
    for (const text of [PAIRING_URI, "gangway-demo:zoë"]) {
      const image = modulesToImage(textToModules(await renderQrText(text)), 4);
      const decoded = decodeImage(image);
      expect(decoded.text).toBe(text);
      expect(Buffer.from(decoded.bytes)).toEqual(Buffer.from(text, "utf8"));
    }
  });
});

describe("texts that do not fit", () => {
  it("accepts exactly the capacity of the largest symbol (2331 bytes at level M)", async () => {
    const longest = "x".repeat(2331);
    expect(decodeImage(readPng(await renderQrPng(longest))).text).toBe(longest);
  });

  it("rejects one byte more with an error saying the text is too long, for both renderings", async () => {
    for (const text of ["x".repeat(2332), "ë".repeat(1166)]) {
      await expect(renderQrPng(text)).rejects.toThrow(/too long for a QR code: 2332 bytes of UTF-8/);
      await expect(renderQrText(text)).rejects.toThrow(/too long for a QR code: 2332 bytes of UTF-8/);
    }
  });

  it("counts UTF-8 bytes, not characters", async () => {
    // 1165 × "ë" is 2330 bytes: fits, while 1166 (above) does not.
    await expect(renderQrText("ë".repeat(1165))).resolves.toMatch(/█/);
  });

  it("refuses an empty text", async () => {
    await expect(renderQrPng("")).rejects.toThrow(/empty text/);
    await expect(renderQrText("")).rejects.toThrow(/empty text/);
  });
});
