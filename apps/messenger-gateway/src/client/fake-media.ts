import { createHash } from "node:crypto";
import { PNG } from "pngjs";

/**
 * The fake cloud's media, made in code (no binary fixtures): small valid PNGs for pictures,
 * stickers and profile pictures, and a short silent Ogg Opus file for voice messages. Each is
 * deterministic, so a test can compare what reached the user with what the cloud serves.
 */

export const PICTURE_SIZE = { width: 48, height: 32 } as const;
export const AVATAR_SIZE = { width: 32, height: 32 } as const;

/** An RGB PNG of `width` × `height` whose colours come from `seed`: a two-colour diagonal pattern. */
export function fakePng(seed: string, { width, height }: { width: number; height: number }): Buffer {
  const digest = createHash("sha256").update(seed).digest();
  const ink = [digest[0]!, digest[1]!, digest[2]!, 255];
  const paper = [255 - ink[0]!, 255 - ink[1]!, 255 - ink[2]!, 255];
  const png = new PNG({ width, height, colorType: 2 });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) png.data.set((x + y) % 8 < 4 ? ink : paper, (y * width + x) * 4);
  return PNG.sync.write(png, { colorType: 2 });
}

/** How long the fake voice message lasts. */
export const VOICE_DURATION_MS = 1000;

/**
 * One second of silence as Ogg Opus (RFC 7845): the OpusHead and OpusTags pages, then 50 packets
 * of 20 ms, each a bare table-of-contents byte (a zero-length frame: silence) in one last page.
 */
export function fakeVoiceOgg(): Buffer {
  const head = Buffer.alloc(19);
  head.write("OpusHead", 0, "ascii");
  head[8] = 1; // version
  head[9] = 1; // mono
  head.writeUInt16LE(312, 10); // pre-skip
  head.writeUInt32LE(48000, 12); // the input's sample rate
  const vendor = Buffer.from("gangway fake cloud", "ascii");
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write("OpusTags", 0, "ascii");
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  const frames = VOICE_DURATION_MS / 20;
  const packets = Array.from({ length: frames }, () => Buffer.from([0xf8])); // CELT FB 20 ms, mono, one frame
  const samples = BigInt(frames * 960 + 312);
  return Buffer.concat([
    oggPage([head], { sequence: 0, granule: 0n, flags: 0x02 }),
    oggPage([tags], { sequence: 1, granule: 0n, flags: 0 }),
    oggPage(packets, { sequence: 2, granule: samples, flags: 0x04 }),
  ]);
}

const OGG_SERIAL = 0x6761_6e67;

function oggPage(packets: Buffer[], page: { sequence: number; granule: bigint; flags: number }): Buffer {
  const segments: number[] = [];
  for (const packet of packets) {
    let left = packet.length;
    while (left >= 255) {
      segments.push(255);
      left -= 255;
    }
    segments.push(left);
  }
  const header = Buffer.alloc(27 + segments.length);
  header.write("OggS", 0, "ascii");
  header[4] = 0; // version
  header[5] = page.flags;
  header.writeBigInt64LE(page.granule, 6);
  header.writeUInt32LE(OGG_SERIAL, 14);
  header.writeUInt32LE(page.sequence, 18);
  header[26] = segments.length;
  header.set(segments, 27);
  const out = Buffer.concat([header, ...packets]);
  out.writeUInt32LE(oggCrc(out), 22);
  return out;
}

const OGG_CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n << 24;
  for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  return c >>> 0;
});

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, no final xor. */
function oggCrc(data: Buffer): number {
  let c = 0;
  for (const byte of data) c = ((c << 8) ^ OGG_CRC_TABLE[((c >>> 24) ^ byte) & 0xff]!) >>> 0;
  return c;
}
