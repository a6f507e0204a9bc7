import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { AppError } from '../../http/errors.ts';
import { child, parseOne, type Tlv, value } from './tlv.ts';

export type FaceImageFormat = 'jpeg' | 'jpeg2000' | 'unknown';

export interface ExtractedFace {
  /** The biometric record's encoding. */
  record_format: 'iso19794-5' | 'iso39794-5' | 'unknown';
  /** The image's own format, from its magic bytes (the record's declared type is not trusted). */
  image_format: FaceImageFormat;
  /** The image bytes exactly as stored on the chip. */
  original: Uint8Array;
  width: number | null;
  height: number | null;
}

export interface FaceForDisplay extends ExtractedFace {
  /** A JPEG for display and face matching (JPEG2000 decoded and re-encoded), or null if undecodable. */
  jpeg: Buffer | null;
  /** Why `jpeg` is null: IMAGE_CORRUPT or IMAGE_FORMAT_UNKNOWN. */
  problem: string | null;
}

function sniff(b: Uint8Array): FaceImageFormat {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  const jp2 = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20];
  if (b.length >= 8 && jp2.every((x, i) => b[i] === x)) return 'jpeg2000';
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51) return 'jpeg2000';
  return 'unknown';
}

const u16 = (b: Uint8Array, o: number) => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
const u32 = (b: Uint8Array, o: number) => u16(b, o) * 65536 + u16(b, o + 2);

/** ISO/IEC 19794-5:2005 facial record: "FAC\0" header, facial information, feature points, image info, image. */
function from19794(rec: Uint8Array): ExtractedFace | null {
  if (rec.length < 14 + 32 || rec[0] !== 0x46 || rec[1] !== 0x41 || rec[2] !== 0x43 || rec[3] !== 0)
    return null;
  const blockStart = 14;
  const blockLength = u32(rec, blockStart);
  const featurePoints = u16(rec, blockStart + 4);
  const info = blockStart + 20 + featurePoints * 8;
  const imageStart = info + 12;
  const blockEnd = Math.min(rec.length, blockStart + blockLength);
  if (imageStart >= blockEnd) return null;
  const original = rec.subarray(imageStart, blockEnd);
  return {
    record_format: 'iso19794-5',
    image_format: sniff(original),
    original,
    width: u16(rec, info + 2) || null,
    height: u16(rec, info + 4) || null,
  };
}

/**
 * ISO/IEC 39794-5 (ASN.1, tagged): the image is the representation's data element; we take the
 * largest primitive value in the record, which is that element in every profile.
 */
function from39794(t: Tlv): ExtractedFace | null {
  let best: Tlv | undefined;
  const walk = (n: Tlv) => {
    if (!n.constructed) {
      if (!best || n.valueEnd - n.valueStart > best.valueEnd - best.valueStart) best = n;
    } else for (const c of n.children) walk(c);
  };
  walk(t);
  if (!best || best.valueEnd - best.valueStart < 64) return null;
  const original = value(best);
  return { record_format: 'iso39794-5', image_format: sniff(original), original, width: null, height: null };
}

/**
 * Finds the first face image in DG2 (75 → 7F61 → 7F60 → 5F2E | 7F2E) or in a bare biometric record.
 * Returns null when there is none.
 */
export function extractFace(bytes: Uint8Array): ExtractedFace | null {
  if (bytes[0] === 0x46) return from19794(bytes);
  let root: Tlv;
  try {
    root = parseOne(bytes, { maxDepth: 20, maxNodes: 5_000 });
  } catch (e) {
    if (e instanceof AppError) return null;
    throw e;
  }
  if (root.tag === 0x75) {
    const group = child(root, 0x7f61);
    const bit = group ? child(group, 0x7f60) : undefined;
    if (!bit) return null;
    const iso5 = child(bit, 0x5f2e);
    if (iso5) return from19794(value(iso5)) ?? from39794(iso5);
    const iso39 = child(bit, 0x7f2e);
    if (iso39) return from39794(iso39);
    return null;
  }
  return from39794(root);
}

// ---------------------------------------------------------------------------------------------
// JPEG2000 decoding: OpenJPEG compiled to WebAssembly, loaded from node_modules (no network).

interface J2KDecoder {
  getEncodedBuffer(n: number): Uint8Array;
  decode(): void;
  getFrameInfo(): {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
let openjpeg: Promise<{ J2KDecoder: new () => J2KDecoder }> | undefined;

function loadOpenJpeg() {
  openjpeg ??= (async () => {
    const require = createRequire(import.meta.url);
    const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (o: object) => Promise<{
      J2KDecoder: new () => J2KDecoder;
    }>;
    const wasmBinary = readFileSync(require.resolve('@cornerstonejs/codec-openjpeg/decodewasm'));
    return factory({ wasmBinary, print: () => {}, printErr: () => {} });
  })();
  return openjpeg;
}

const MAX_FACE_PIXELS = 16_000_000;

/** Decodes a JPEG2000 face to raw pixels and re-encodes it as JPEG. */
export async function jpeg2000ToJpeg(
  j2k: Uint8Array,
): Promise<{ jpeg: Buffer; width: number; height: number }> {
  const m = await loadOpenJpeg();
  const dec = new m.J2KDecoder();
  try {
    dec.getEncodedBuffer(j2k.length).set(j2k);
    dec.decode();
    const f = dec.getFrameInfo();
    if (f.width * f.height > MAX_FACE_PIXELS || f.width === 0 || f.height === 0) throw new Error('bad size');
    if (f.componentCount !== 1 && f.componentCount !== 3 && f.componentCount !== 4)
      throw new Error('components');
    let px = Buffer.from(dec.getDecodedBuffer());
    if (f.bitsPerSample > 8) {
      // 16-bit samples, little-endian: keep the top 8 bits.
      const out = Buffer.alloc(px.length / 2);
      const shift = f.bitsPerSample - 8;
      for (let i = 0; i < out.length; i++) out[i] = Math.min(255, (px.readUInt16LE(i * 2) >> shift) & 0xff);
      px = out;
    }
    const jpeg = await sharp(px, {
      raw: { width: f.width, height: f.height, channels: f.componentCount as 1 | 3 | 4 },
    })
      .jpeg({ quality: 92 })
      .toBuffer();
    return { jpeg, width: f.width, height: f.height };
  } finally {
    dec.delete();
  }
}

/** Extracted face plus a displayable JPEG (decodes the image: not part of passive authentication). */
export async function faceForDisplay(face: ExtractedFace): Promise<FaceForDisplay> {
  if (face.image_format === 'jpeg') {
    try {
      const img = sharp(face.original, { failOn: 'error', limitInputPixels: MAX_FACE_PIXELS });
      const { info } = await img.raw().toBuffer({ resolveWithObject: true });
      return {
        ...face,
        width: info.width,
        height: info.height,
        jpeg: Buffer.from(face.original),
        problem: null,
      };
    } catch {
      return { ...face, jpeg: null, problem: 'IMAGE_CORRUPT' };
    }
  }
  if (face.image_format === 'jpeg2000') {
    try {
      const r = await jpeg2000ToJpeg(face.original);
      return { ...face, width: r.width, height: r.height, jpeg: r.jpeg, problem: null };
    } catch {
      return { ...face, jpeg: null, problem: 'IMAGE_CORRUPT' };
    }
  }
  return { ...face, jpeg: null, problem: 'IMAGE_FORMAT_UNKNOWN' };
}
