import sharp, { type Metadata } from 'sharp';
import { defineErrors } from '../http/errors.ts';

/** Image problems every engine shares: documents, faces and liveness frames all enter through here. */
export const imageError = defineErrors({
  ERR_IMAGE_EMPTY: { status: 400, title: 'The image is empty' },
  ERR_IMAGE_UNSUPPORTED: { status: 415, title: 'Not a JPEG, PNG or WebP image' },
  ERR_IMAGE_CORRUPT: { status: 400, title: 'The image is truncated or corrupt' },
  ERR_IMAGE_TOO_LARGE: { status: 413, title: 'The image has too many pixels' },
  ERR_IMAGE_TOO_SMALL: { status: 400, title: 'The image is too small to read' },
  ERR_IMAGE_ANIMATED: { status: 400, title: 'Animated images are not accepted' },
});

export interface DecodedImage {
  /** Raw RGB, 3 bytes per pixel, EXIF orientation applied. */
  data: Buffer;
  width: number;
  height: number;
  format: 'jpeg' | 'png' | 'webp';
}

export interface DecodeOptions {
  /** Refused before decoding: a 20000×20000 PNG is a few KB on the wire and 1.2 GB in memory. */
  maxPixels?: number;
  minSide?: number;
  /** Downscale so the longer side is at most this (keeps work bounded on huge photos). */
  maxSide?: number;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;

/** Sniffs the real format from the bytes; the declared content type is not trusted. */
export function sniffFormat(buf: Buffer): DecodedImage['format'] | 'gif' | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (
    buf.length >= 8 &&
    buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return 'png';
  }
  if (
    buf.length >= 12 &&
    buf.toString('latin1', 0, 4) === 'RIFF' &&
    buf.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'webp';
  }
  if (buf.length >= 6 && buf.toString('latin1', 0, 3) === 'GIF') return 'gif';
  return null;
}

export async function decodeImage(buf: Buffer, opts: DecodeOptions = {}): Promise<DecodedImage> {
  if (buf.length === 0) throw imageError('ERR_IMAGE_EMPTY');
  const format = sniffFormat(buf);
  if (format === 'gif') throw imageError('ERR_IMAGE_ANIMATED', 'GIF is not accepted; send JPEG, PNG or WebP');
  if (!format) throw imageError('ERR_IMAGE_UNSUPPORTED');
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  let meta: Metadata;
  try {
    // Reads the header only: dimensions are known before any pixel is decoded.
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch {
    throw imageError('ERR_IMAGE_CORRUPT');
  }
  if (!meta.width || !meta.height) throw imageError('ERR_IMAGE_CORRUPT');
  if (meta.width * meta.height > maxPixels) {
    throw imageError('ERR_IMAGE_TOO_LARGE', `${meta.width}×${meta.height} exceeds ${maxPixels} pixels`);
  }
  if ((meta.pages ?? 1) > 1) throw imageError('ERR_IMAGE_ANIMATED');
  const minSide = opts.minSide ?? 32;
  if (Math.min(meta.width, meta.height) < minSide) {
    throw imageError('ERR_IMAGE_TOO_SMALL', `the shorter side must be at least ${minSide} px`);
  }
  try {
    let pipeline = sharp(buf, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb');
    if (opts.maxSide) {
      pipeline = pipeline.resize({
        width: opts.maxSide,
        height: opts.maxSide,
        fit: 'inside',
        withoutEnlargement: true,
      });
    }
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, format };
  } catch {
    throw imageError('ERR_IMAGE_CORRUPT');
  }
}
