import type { Point } from '../face/geometry.ts';

/**
 * Plane tests on face-mesh tracks. A flat photo or screen moves like a plane: all its points are
 * mapped by one homography between two frames, and its nose stays on the plane of its outline.
 * A real head does not: the nose tip and the cheeks are at different depths. Both measures are
 * robust (iteratively re-weighted fit, median residual) and normalised by the face's width, so one
 * mis-placed landmark or a small face cannot fake or hide depth.
 */

/** Face silhouette, eye and mouth corners: the "face plane" the nose is measured against. */
export const OUTLINE = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149,
  150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 33, 133, 362, 263, 61, 291,
] as const;
/** Nose tip, ridge and wings: the points farthest in front of the face plane. */
export const NOSE = [1, 4, 5, 195, 197, 6, 2, 98, 327, 19, 94] as const;

type Map2 = (p: Point) => Point;

function solve(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-12) return null;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((r, i) => r[n]! / r[i]!);
}

/** Weighted least-squares homography (normalised DLT, h33 = 1) returned as a point map. */
export function homography(src: Point[], dst: Point[], w?: number[]): Map2 | null {
  const n = Math.min(src.length, dst.length);
  if (n < 4) return null;
  const nrm = (pts: Point[]) => {
    let mx = 0;
    let my = 0;
    for (const p of pts) {
      mx += p[0];
      my += p[1];
    }
    mx /= pts.length;
    my /= pts.length;
    let d = 0;
    for (const p of pts) d += Math.hypot(p[0] - mx, p[1] - my);
    return { mx, my, s: Math.SQRT2 / (d / pts.length || 1) };
  };
  const ns = nrm(src.slice(0, n));
  const nd = nrm(dst.slice(0, n));
  const ata = Array.from({ length: 8 }, () => new Array<number>(8).fill(0));
  const atb = new Array<number>(8).fill(0);
  for (let i = 0; i < n; i++) {
    const wi = w?.[i] ?? 1;
    const x = (src[i]![0] - ns.mx) * ns.s;
    const y = (src[i]![1] - ns.my) * ns.s;
    const u = (dst[i]![0] - nd.mx) * nd.s;
    const v = (dst[i]![1] - nd.my) * nd.s;
    const rows: Array<[number[], number]> = [
      [[x, y, 1, 0, 0, 0, -u * x, -u * y], u],
      [[0, 0, 0, x, y, 1, -v * x, -v * y], v],
    ];
    for (const [r, b] of rows) {
      for (let a = 0; a < 8; a++) {
        atb[a]! += wi * r[a]! * b;
        for (let c = 0; c < 8; c++) ata[a]![c]! += wi * r[a]! * r[c]!;
      }
    }
  }
  const h = solve(ata, atb);
  if (!h) return null;
  return (p) => {
    const x = (p[0] - ns.mx) * ns.s;
    const y = (p[1] - ns.my) * ns.s;
    const q = h[6]! * x + h[7]! * y + 1;
    return [
      (h[0]! * x + h[1]! * y + h[2]!) / q / nd.s + nd.mx,
      (h[3]! * x + h[4]! * y + h[5]!) / q / nd.s + nd.my,
    ];
  };
}

/** Homography fitted with Huber weights (cut at 2 % of the face width), a few re-weightings. */
export function robustHomography(src: Point[], dst: Point[], faceWidth: number): Map2 | null {
  let f = homography(src, dst);
  const cut = 0.02 * faceWidth;
  for (let it = 0; it < 5 && f; it++) {
    const g = f;
    const w = src.map((p, i) => {
      const q = g(p);
      const r = Math.hypot(q[0] - dst[i]![0], q[1] - dst[i]![1]);
      return r <= cut ? 1 : cut / r;
    });
    f = homography(src, dst, w);
  }
  return f;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};

const residual = (f: Map2, a: Point, b: Point) => {
  const q = f(a);
  return Math.hypot(q[0] - b[0], q[1] - b[1]);
};

/**
 * Between a reference frame and another, with `ref`/`cur` the full 468-point meshes:
 * - `planar`: median residual of all mesh points to one robust homography, / face width;
 * - `nose`: median distance of the nose points from where the outline's homography puts them, / face width.
 */
export function planeResiduals(ref: Point[], cur: Point[]): { planar: number; nose: number } | null {
  if (ref.length < 468 || cur.length < 468) return null;
  const width = Math.hypot(ref[454]![0] - ref[234]![0], ref[454]![1] - ref[234]![1]);
  if (!(width > 1)) return null;
  const all = robustHomography(ref, cur, width);
  const out = robustHomography(
    OUTLINE.map((i) => ref[i]!),
    OUTLINE.map((i) => cur[i]!),
    width,
  );
  if (!all || !out) return null;
  return {
    planar: median(ref.map((p, i) => residual(all, p, cur[i]!))) / width,
    nose: median(NOSE.map((i) => residual(out, ref[i]!, cur[i]!))) / width,
  };
}
