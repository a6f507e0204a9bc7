/**
 * Card geometry on raw RGB pixels: find the card's four corners and flatten it with a homography.
 * Plain typed-array code (no OpenCV runtime to load): a working-size copy is segmented against the
 * background colour read from the frame's border, the largest blob's convex hull gives the
 * largest inscribed quadrilateral, and the corners are refined back at full size.
 */
export type Point = [number, number];

export interface RawImage {
  data: Uint8Array | Buffer;
  width: number;
  height: number;
  channels: number;
}

/** Homography mapping src[i] → dst[i] (4 point pairs), as a row-major 3×3 with h33 = 1. */
export function homography(
  src: readonly (readonly [number, number])[],
  dst: readonly (readonly [number, number])[],
): number[] {
  const A: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i] as Point;
    const [u, v] = dst[i] as Point;
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gauss-Jordan with partial pivoting on the 8×9 augmented matrix.
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    const pivot = A[c]![c]!;
    if (Math.abs(pivot) < 1e-12) throw new Error('degenerate corners');
    for (let k = c; k < 9; k++) A[c]![k]! /= pivot;
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const fct = A[r]![c]!;
      if (fct === 0) continue;
      for (let k = c; k < 9; k++) A[r]![k]! -= fct * A[c]![k]!;
    }
  }
  return [...A.map((row) => row[8]!), 1];
}

export function applyH(H: number[], x: number, y: number): Point {
  const w = H[6]! * x + H[7]! * y + H[8]!;
  return [(H[0]! * x + H[1]! * y + H[2]!) / w, (H[3]! * x + H[4]! * y + H[5]!) / w];
}

/**
 * Output pixel (x, y) takes the bilinear sample of `src` at `Hinv(x, y)`; outside the source it
 * keeps `fill` (or, with `mask`, the mask marks which pixels were written).
 */
export function warp(
  src: RawImage,
  Hinv: number[],
  outW: number,
  outH: number,
  fill = 255,
  mask?: Uint8Array,
): RawImage {
  const ch = src.channels;
  const out = new Uint8Array(outW * outH * ch).fill(fill);
  const { data, width: sw, height: sh } = src;
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = Hinv as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  for (let y = 0; y < outH; y++) {
    // Row terms once per row; per pixel only the x terms are added.
    const wy = h7 * y + h8;
    const xy = h1 * y + h2;
    const yy = h4 * y + h5;
    for (let x = 0; x < outW; x++) {
      const w = h6 * x + wy;
      const sx = (h0 * x + xy) / w;
      const sy = (h3 * x + yy) / w;
      if (sx < 0 || sy < 0 || sx > sw - 1 || sy > sh - 1) continue;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, sw - 1);
      const y1 = Math.min(y0 + 1, sh - 1);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * outW + x) * ch;
      const a = (y0 * sw + x0) * ch;
      const b = (y0 * sw + x1) * ch;
      const c = (y1 * sw + x0) * ch;
      const d = (y1 * sw + x1) * ch;
      for (let k = 0; k < ch; k++) {
        const top = data[a + k]! + (data[b + k]! - data[a + k]!) * fx;
        const bot = data[c + k]! + (data[d + k]! - data[c + k]!) * fx;
        out[o + k] = top + (bot - top) * fy + 0.5;
      }
      if (mask) mask[y * outW + x] = 255;
    }
  }
  return { data: out, width: outW, height: outH, channels: ch };
}

/** Orders four points as top-left, top-right, bottom-right, bottom-left (clockwise from the top-left). */
export function orderCorners(pts: Point[]): Point[] {
  const cx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const cy = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const sorted = [...pts].sort((a, b) => Math.atan2(a[1] - cy, a[0] - cx) - Math.atan2(b[1] - cy, b[0] - cx));
  // atan2 order from -π: top-left region first for a roughly upright quad.
  let start = 0;
  let best = Number.POSITIVE_INFINITY;
  sorted.forEach((p, i) => {
    const s = p[0] + p[1];
    if (s < best) {
      best = s;
      start = i;
    }
  });
  return [0, 1, 2, 3].map((i) => sorted[(start + i) % 4] as Point);
}

const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);

export function quadArea(q: Point[]): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i] as Point;
    const b = q[(i + 1) % q.length] as Point;
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s) / 2;
}

function convexHull(points: Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: Point, a: Point, b: Point) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0)
      lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i] as Point;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0)
      upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Largest-area quadrilateral with vertices on the hull (O(n³) over a thinned hull). */
function maxQuad(hull: Point[]): Point[] | null {
  let h = hull;
  while (h.length > 80) h = h.filter((_, i) => i % 2 === 0);
  const n = h.length;
  if (n < 4) return null;
  const tri = (a: Point, b: Point, c: Point) =>
    Math.abs((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) / 2;
  let best = 0;
  let quad: Point[] | null = null;
  for (let i = 0; i < n; i++) {
    for (let k = i + 2; k < n; k++) {
      let bj = -1;
      let bja = -1;
      for (let j = i + 1; j < k; j++) {
        const a = tri(h[i]!, h[j]!, h[k]!);
        if (a > bja) {
          bja = a;
          bj = j;
        }
      }
      let bl = -1;
      let bla = -1;
      for (let l = k + 1; l < n + i; l++) {
        const a = tri(h[i]!, h[k]!, h[l % n]!);
        if (a > bla) {
          bla = a;
          bl = l % n;
        }
      }
      if (bj < 0 || bl < 0) continue;
      if (bja + bla > best) {
        best = bja + bla;
        quad = [h[i]!, h[bj]!, h[k]!, h[bl]!];
      }
    }
  }
  return quad;
}

export interface CardLocation {
  /** Corners in source pixels, ordered top-left, top-right, bottom-right, bottom-left. */
  corners: Point[];
  found: boolean;
  /** Card area / frame area. */
  coverage: number;
  /** A corner lies on the frame's edge: the card may be cut off. */
  touchesEdge: boolean;
}

function otsu(hist: number[], total: number): number {
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += i * hist[i]!;
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let thr = 0;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > best) {
      best = between;
      thr = t;
    }
  }
  return thr;
}

/**
 * Finds the card in an RGB image. Works on a ≤ 360 px copy: distance of every pixel's colour (and
 * local texture) from the border's median colour, Otsu threshold, largest 4-connected blob, hull,
 * largest inscribed quadrilateral. Falls back to the whole frame when no plausible card is found.
 */
export function findCard(img: RawImage): CardLocation {
  const { width: W, height: H, channels: ch, data } = img;
  const scale = Math.min(1, 360 / Math.max(W, H));
  const w = Math.max(8, Math.round(W * scale));
  const h = Math.max(8, Math.round(H * scale));
  const small = new Float32Array(w * h * 3);
  // Box-average downscale (also removes noise and JPEG artefacts), summed in integers.
  const sum = new Uint32Array(w * h * 3);
  const cnt = new Uint32Array(w * h);
  const colOf = new Int32Array(W);
  for (let x = 0; x < W; x++) colOf[x] = Math.min(w - 1, Math.floor(x * scale));
  for (let y = 0; y < H; y++) {
    const row = Math.min(h - 1, Math.floor(y * scale)) * w;
    let o = y * W * ch;
    for (let x = 0; x < W; x++, o += ch) {
      const s = row + colOf[x]!;
      sum[s * 3]! += data[o]!;
      sum[s * 3 + 1]! += data[o + 1]!;
      sum[s * 3 + 2]! += data[o + 2]!;
      cnt[s]!++;
    }
  }
  for (let i = 0; i < w * h; i++) {
    const c = cnt[i]! || 1;
    small[i * 3] = sum[i * 3]! / c;
    small[i * 3 + 1] = sum[i * 3 + 1]! / c;
    small[i * 3 + 2] = sum[i * 3 + 2]! / c;
  }
  // Background colour: median of a 2-pixel border ring.
  const ring: number[][] = [[], [], []];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x > 1 && y > 1 && x < w - 2 && y < h - 2) continue;
      const i = (y * w + x) * 3;
      for (let k = 0; k < 3; k++) ring[k]!.push(small[i + k]!);
    }
  }
  const bg = ring.map((r) => Float64Array.from(r).sort()[r.length >> 1]!);
  const diff = new Uint8Array(w * h);
  const hist = new Array<number>(256).fill(0);
  for (let i = 0; i < w * h; i++) {
    const dr = small[i * 3]! - bg[0]!;
    const dg = small[i * 3 + 1]! - bg[1]!;
    const db = small[i * 3 + 2]! - bg[2]!;
    const d = Math.sqrt(dr * dr + dg * dg + db * db);
    const v = Math.min(255, Math.round(d));
    diff[i] = v;
    hist[v]!++;
  }
  const thr = Math.max(25, otsu(hist, w * h));
  const fg = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) fg[i] = diff[i]! > thr ? 1 : 0;
  // Close small gaps (text on the card has background-like colours): 2 px dilation then erosion
  // over a 5×5 square, done as a row pass then a column pass (the square is separable).
  const morph = (src: Uint8Array, val: number, r = 2) => {
    const rows = new Uint8Array(src);
    for (let y = 0; y < h; y++) {
      const o = y * w;
      for (let x = 0; x < w; x++) {
        if (src[o + x] === val) continue;
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          if (src[o + xx] === val) {
            rows[o + x] = val;
            break;
          }
        }
      }
    }
    const out = new Uint8Array(rows);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (rows[y * w + x] === val) continue;
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
          if (rows[yy * w + x] === val) {
            out[y * w + x] = val;
            break;
          }
        }
      }
    }
    return out;
  };
  const closed = morph(morph(fg, 1), 0);
  // Fill holes: background reachable from the border stays background.
  const outside = new Uint8Array(w * h);
  const stack: number[] = [];
  // Marked when pushed: each pixel enters the stack at most once.
  const reach = (j: number) => {
    if (!outside[j] && !closed[j]) {
      outside[j] = 1;
      stack.push(j);
    }
  };
  for (let x = 0; x < w; x++) {
    reach(x);
    reach((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    reach(y * w);
    reach(y * w + w - 1);
  }
  while (stack.length) {
    const i = stack.pop() as number;
    const x = i % w;
    if (x > 0) reach(i - 1);
    if (x < w - 1) reach(i + 1);
    if (i >= w) reach(i - w);
    if (i < w * (h - 1)) reach(i + w);
  }
  // Connected blobs (4-neighbours) of the pixels `inside` accepts, labelled in scan order; the
  // largest one's label and size.
  const components = (inside: (i: number) => boolean) => {
    const label = new Int32Array(w * h).fill(-1);
    let best = -1;
    let bestSize = 0;
    let count = 0;
    const visit = (j: number) => {
      if (inside(j) && label[j] === -1) {
        label[j] = count;
        stack.push(j);
      }
    };
    for (let s = 0; s < w * h; s++) {
      if (!inside(s) || label[s] !== -1) continue;
      let size = 0;
      stack.push(s);
      label[s] = count;
      while (stack.length) {
        const i = stack.pop() as number;
        size++;
        const x = i % w;
        if (x > 0) visit(i - 1);
        if (x < w - 1) visit(i + 1);
        if (i >= w) visit(i - w);
        if (i < w * (h - 1)) visit(i + w);
      }
      if (size > bestSize) {
        bestSize = size;
        best = count;
      }
      count++;
    }
    return { label, best, bestSize, count };
  };
  // Largest connected blob of "not outside".
  const blobs = components((i) => !outside[i]);
  const label = blobs.label;
  const bestLabel = blobs.best;
  let bestSize = blobs.bestSize;
  const whole: CardLocation = {
    corners: [
      [0, 0],
      [W - 1, 0],
      [W - 1, H - 1],
      [0, H - 1],
    ],
    found: false,
    coverage: 1,
    touchesEdge: true,
  };
  if (bestLabel < 0 || bestSize < 0.08 * w * h || bestSize > 0.97 * w * h) return whole;
  // A glare spot on the table beside the card joins it through a neck the closing bridged, and the
  // hull then takes it in (a corner 237 px off). Opening the blob by R cuts necks narrower than
  // 2R + 1 px (3 % of the working size); the card, far wider, survives, and its largest piece grown
  // back by 2R (what the opening rounded off its corners) picks the blob's pixels that are card.
  {
    const R = 5;
    const blob = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) blob[i] = label[i] === bestLabel ? 1 : 0;
    const opened = morph(morph(blob, 0, R), 1, R);
    const core = components((i) => opened[i] === 1);
    if (core.best >= 0 && core.count > 1) {
      const keep = new Uint8Array(w * h);
      for (let i = 0; i < w * h; i++) keep[i] = core.label[i] === core.best ? 1 : 0;
      const grown = morph(keep, 1, 2 * R);
      bestSize = 0;
      for (let i = 0; i < w * h; i++) {
        if (label[i] === bestLabel && !grown[i]) label[i] = -2;
        else if (label[i] === bestLabel) bestSize++;
      }
    }
  }
  const boundary: Point[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (label[i] !== bestLabel) continue;
      if (
        x === 0 ||
        y === 0 ||
        x === w - 1 ||
        y === h - 1 ||
        label[i - 1] !== bestLabel ||
        label[i + 1] !== bestLabel ||
        label[i - w] !== bestLabel ||
        label[i + w] !== bestLabel
      ) {
        boundary.push([x + 0.5, y + 0.5]);
      }
    }
  }
  const quad = maxQuad(convexHull(boundary));
  if (!quad) return whole;
  const qa = quadArea(quad);
  // The blob must be quadrilateral-shaped: the quad covers most of it.
  if (qa < 0.85 * bestSize) return whole;
  const corners = orderCorners(quad.map(([x, y]) => [x / scale, y / scale] as Point));
  const touchesEdge = corners.some(
    ([x, y]) => x < 3 / scale || y < 3 / scale || x > W - 3 / scale || y > H - 3 / scale,
  );
  const sides = [0, 1, 2, 3].map((i) => dist(corners[i]!, corners[(i + 1) % 4]!));
  const longSide = (sides[0]! + sides[2]!) / 2;
  const shortSide = (sides[1]! + sides[3]!) / 2;
  const ratio = Math.max(longSide, shortSide) / Math.max(1, Math.min(longSide, shortSide));
  if (ratio < 1.15 || ratio > 2.2) return whole;
  return { corners, found: true, coverage: qa / (w * h), touchesEdge };
}

/** Flattens the quad to `outW × outH`; corners[0] becomes the output's top-left. */
export function flatten(img: RawImage, corners: Point[], outW: number, outH: number): RawImage {
  const dst: Point[] = [
    [0, 0],
    [outW - 1, 0],
    [outW - 1, outH - 1],
    [0, outH - 1],
  ];
  const Hinv = homography(dst, corners);
  return warp(img, Hinv, outW, outH);
}

/** Rotates an RGB image by 90° steps clockwise. */
export function rotate90(img: RawImage, turns: number): RawImage {
  const t = ((turns % 4) + 4) % 4;
  if (t === 0) return img;
  const { width: W, height: H, channels: ch, data } = img;
  const outW = t === 2 ? W : H;
  const outH = t === 2 ? H : W;
  const out = new Uint8Array(W * H * ch);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let nx: number;
      let ny: number;
      if (t === 1) [nx, ny] = [H - 1 - y, x];
      else if (t === 2) [nx, ny] = [W - 1 - x, H - 1 - y];
      else [nx, ny] = [y, W - 1 - x];
      const o = (ny * outW + nx) * ch;
      const i = (y * W + x) * ch;
      for (let k = 0; k < ch; k++) out[o + k] = data[i + k]!;
    }
  }
  return { data: out, width: outW, height: outH, channels: ch };
}

export function longSideFirst(corners: Point[]): Point[] {
  const top = dist(corners[0]!, corners[1]!);
  const left = dist(corners[0]!, corners[3]!);
  // Portrait quad: start from the bottom-left so the long side becomes the top.
  return top >= left ? corners : [corners[3]!, corners[0]!, corners[1]!, corners[2]!];
}
