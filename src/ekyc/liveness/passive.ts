/**
 * Passive signals over the frames of a liveness sequence, reported beside the verdict and never
 * deciding it alone (no licensed passive anti-spoofing model ships on npm):
 * - screen moiré: a screen's pixel grid filmed by a camera puts sharp periodic peaks into the
 *   spectrum of the skin, which a face's own texture does not have;
 * - frozen frames: consecutive frames that are the same picture (a still image or a looped
 *   recording fed as the camera) carry no fresh sensor noise.
 */

import type { RgbImage } from '../face/geometry.ts';

/** In-place radix-2 FFT of one row or column (length a power of two). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const r = re[i]!;
      re[i] = re[j]!;
      re[j] = r;
      const m = im[i]!;
      im[i] = im[j]!;
      im[j] = m;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b]! * cr - im[b]! * ci;
        const xi = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
        const t = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = t;
      }
    }
  }
}

/** Power spectrum of the n×n window at (x0, y0) of an RGB image's luminance (mean removed, Hann-tapered). */
function powerSpectrum(img: RgbImage, x0: number, y0: number, n: number): Float64Array {
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  let mean = 0;
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      const i = ((y0 + y) * img.width + x0 + x) * 3;
      const v = 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]!;
      re[y * n + x] = v;
      mean += v;
    }
  mean /= n * n;
  const hann = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) re[y * n + x] = (re[y * n + x]! - mean) * hann[x]! * hann[y]!;
  const rr = new Float64Array(n);
  const ri = new Float64Array(n);
  for (let y = 0; y < n; y++) {
    rr.set(re.subarray(y * n, (y + 1) * n));
    ri.fill(0);
    fft(rr, ri);
    re.set(rr, y * n);
    im.set(ri, y * n);
  }
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      rr[y] = re[y * n + x]!;
      ri[y] = im[y * n + x]!;
    }
    fft(rr, ri);
    for (let y = 0; y < n; y++) {
      re[y * n + x] = rr[y]!;
      im[y * n + x] = ri[y]!;
    }
  }
  const p = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) p[i] = re[i]! ** 2 + im[i]! ** 2;
  return p;
}

/** Median power of the 7×7 neighbourhood of (u, v) without its inner 3×3 (the peak's own spread). */
function localMedian(power: Float64Array, n: number, u: number, v: number): number {
  const around: number[] = [];
  for (let dv = -3; dv <= 3; dv++)
    for (let du = -3; du <= 3; du++) {
      if (Math.abs(du) <= 1 && Math.abs(dv) <= 1) continue;
      around.push(power[((v + dv + n) % n) * n + ((u + du + n) % n)]!);
    }
  around.sort((a, b) => a - b);
  return around[around.length >> 1]!;
}

/**
 * The strongest isolated peak of an averaged n×n power spectrum (log10 of its power over the
 * background), over frequencies from 0.12 cycles/pixel to Nyquist. The background is the larger of
 * the median power at the same radius and the median around the peak: a face's texture falls off
 * smoothly with frequency, and its edges (hair, glasses, the jaw) make ridges that the ring median
 * alone would take for peaks. Frequencies on JPEG's 8-pixel block grid are left out (every
 * compressed frame has them). A filmed screen's grid is a point that stands far above both.
 */
function spectralPeak(power: Float64Array, n: number): { ratio: number; frequency: number } {
  const half = n / 2;
  const rings: number[][] = Array.from({ length: half + 1 }, () => []);
  const freq = (k: number) => (k <= half ? k : k - n);
  const onBlockGrid = (k: number) => {
    const f = Math.abs(freq(k));
    const step = n / 8;
    const r = f % step;
    return f >= step - 1 && (r <= 1 || r >= step - 1);
  };
  for (let v = 0; v < n; v++)
    for (let u = 0; u < n; u++) {
      const r = Math.round(Math.hypot(freq(u), freq(v)));
      if (r <= half) rings[r]!.push(power[v * n + u]!);
    }
  const median = rings.map((ring) => {
    const s = ring.sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] ?? 0;
  });
  // Candidates by their ratio to the ring alone, highest first: the local background can only lower
  // a ratio, so the search stops at the first candidate that cannot beat the best found.
  const candidates: Array<{ i: number; ring: number; rf: number }> = [];
  for (let v = 0; v < n; v++)
    for (let u = 0; u < n; u++) {
      if (onBlockGrid(u) || onBlockGrid(v)) continue;
      const rf = Math.hypot(freq(u), freq(v));
      const ring = median[Math.round(rf)]!;
      if (rf / n < 0.12 || rf > half || ring <= 0) continue;
      candidates.push({ i: v * n + u, ring: power[v * n + u]! / ring, rf });
    }
  candidates.sort((a, b) => b.ring - a.ring);
  let best = 0;
  let bestF = 0;
  for (const c of candidates) {
    if (c.ring <= best) break;
    const ratio = Math.min(c.ring, power[c.i]! / localMedian(power, n, c.i % n, Math.floor(c.i / n)));
    if (ratio > best) {
      best = ratio;
      bestF = c.rf / n;
    }
  }
  return { ratio: best > 0 ? Math.log10(best) : 0, frequency: bestF };
}

export const PASSIVE_LIMITS = {
  /** log10 of a spectral peak over its background (`spectralPeak`) above which a screen is suspected. */
  moireWarn: 1.0,
  /** Mean absolute grey difference (0–255) under which two consecutive frames are the same picture. */
  frozenDifference: 0.5,
} as const;

export interface FaceSample {
  img: RgbImage;
  /** The face's box [x, y, w, h] in the image's pixels. */
  box: readonly [number, number, number, number];
}

/**
 * The screen-moiré signal of a sequence: the peak ratio (`spectralPeak`) of the spectra of the
 * face's centre, four overlapping windows per sampled frame summed (averaging lowers the face's own
 * periodogram noise; a grid's peak stays where it is). The window is the largest power of two up
 * to 60 % of the first face's width, 32–64 px (128 px windows warned on the same relays in the eval,
 * at twice the main thread's CPU: ~28 ms per verify); null when the faces are too small for 32.
 */
export function screenMoire(samples: FaceSample[]): { ratio: number; frequency: number } | null {
  const first = samples[0];
  if (!first) return null;
  let n = 0;
  for (let k = 32; k <= 64 && k <= 0.6 * first.box[2]; k *= 2) n = k;
  if (!n) return null;
  const sum = new Float64Array(n * n);
  let windows = 0;
  for (const { img, box } of samples) {
    const cx = box[0] + box[2] / 2;
    const cy = box[1] + box[3] / 2;
    for (const [dx, dy] of [
      [-1, -1],
      [1, -1],
      [-1, 1],
      [1, 1],
    ] as const) {
      const x0 = Math.round(cx - n / 2 + (dx * n) / 4);
      const y0 = Math.round(cy - n / 2 + (dy * n) / 4);
      if (x0 < 0 || y0 < 0 || x0 + n > img.width || y0 + n > img.height) continue;
      const p = powerSpectrum(img, x0, y0, n);
      for (let i = 0; i < p.length; i++) sum[i]! += p[i]!;
      windows++;
    }
  }
  return windows ? spectralPeak(sum, n) : null;
}

/** Consecutive frames that are the same picture (mean absolute grey difference on a 4-pixel grid). */
export function frozenPairs(frames: RgbImage[]): number {
  let frozen = 0;
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1]!;
    const b = frames[i]!;
    if (a.width !== b.width || a.height !== b.height) continue;
    let diff = 0;
    let count = 0;
    for (let y = 0; y < a.height; y += 4)
      for (let x = 0; x < a.width; x += 4) {
        const j = (y * a.width + x) * 3;
        diff +=
          Math.abs(
            a.data[j]! + a.data[j + 1]! + a.data[j + 2]! - b.data[j]! - b.data[j + 1]! - b.data[j + 2]!,
          ) / 3;
        count++;
      }
    if (diff / count < PASSIVE_LIMITS.frozenDifference) frozen++;
  }
  return frozen;
}
