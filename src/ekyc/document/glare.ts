import sharp from 'sharp';
import type { RawImage } from './geometry.ts';

type Box = [number, number, number, number];

/** Share of the box's pixels (every second row and column) that glare saturated (all channels > 245). */
export function glareShare(img: RawImage, [bx, by, bw, bh]: Box): number {
  let glare = 0;
  let total = 0;
  for (let y = Math.max(0, by); y < by + bh && y < img.height; y += 2) {
    for (let x = Math.max(0, bx); x < bx + bw && x < img.width; x += 2) {
      const i = (y * img.width + x) * img.channels;
      total++;
      if (img.data[i]! > 245 && img.data[i + 1]! > 245 && img.data[i + 2]! > 245) glare++;
    }
  }
  return glare / Math.max(1, total);
}

/** Running maximum (or minimum) over a (2r+1)² square, separably. */
function extremum(src: Float32Array, w: number, h: number, r: number, max: boolean): Float32Array {
  const pick = max ? Math.max : Math.min;
  const rows = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = src[y * w + x]!;
      for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++) m = pick(m, src[y * w + k]!);
      rows[y * w + x] = m;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = rows[y * w + x]!;
      for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++) m = pick(m, rows[k * w + x]!);
      out[y * w + x] = m;
    }
  }
  return out;
}

/**
 * A greyscale PNG of the box with glare flattened: each pixel stretched between the darkest and the
 * brightest luminance within `r` pixels (about half a glyph). Glare adds a smooth bright gradient
 * that leaves the ink under it a faint grey; CLAHE's tiles straddle the gradient and can break a
 * faint stroke, while here a faint digit comes out as black as the others. A neighbourhood whose
 * span is within the noise (no ink near) is white.
 */
export async function glareFlattenedPng(img: RawImage, box: Box, r: number): Promise<Buffer> {
  const left = Math.max(0, Math.round(box[0]));
  const top = Math.max(0, Math.round(box[1]));
  const width = Math.min(img.width - left, Math.round(box[2]));
  const height = Math.min(img.height - top, Math.round(box[3]));
  // The same greyscale as the box's other readings (red CMND digits come out darker than by luma).
  const grey = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .extract({ left, top, width, height })
    .greyscale()
    .raw()
    .toBuffer();
  const lum = Float32Array.from(grey);
  const hi = extremum(lum, width, height, r, true);
  const lo = extremum(lum, width, height, r, false);
  const out = Buffer.alloc(width * height);
  for (let k = 0; k < out.length; k++) {
    const span = hi[k]! - lo[k]!;
    out[k] = span < 15 ? 255 : Math.round((255 * (lum[k]! - lo[k]!)) / span);
  }
  return sharp(out, { raw: { width, height, channels: 1 } })
    .withMetadata({ density: 300 })
    .png({ compressionLevel: 1 })
    .toBuffer();
}
