/**
 * In-process 1:N index over 128-d face descriptors (Euclidean distance), rebuilt from the table.
 * Two modes: exact (flat scan, used below `ivfFrom` templates) and IVF (k-means coarse quantiser,
 * `nprobe` nearest lists scanned exactly). Duplicate search asks "is there a template within
 * distance t of this one", so the query's own list almost always holds the answer; recall against
 * the exact scan is measured in `bench/faces.ts`.
 */
export const DIM = 128;

export interface SearchHit {
  id: string;
  distance: number;
}

export interface FaceIndexOptions {
  ivfFrom?: number;
  lists?: number;
  nprobe?: number;
  seed?: number;
}

export class FaceIndex {
  private ids: string[] = [];
  private vecs: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private count = 0;
  private centroids: Float32Array | null = null;
  private lists: Int32Array[] = [];
  private readonly opts: Required<FaceIndexOptions>;

  constructor(opts: FaceIndexOptions = {}) {
    this.opts = { ivfFrom: 20_000, lists: 0, nprobe: 12, seed: 1, ...opts };
  }

  get size(): number {
    return this.count;
  }

  /** Replaces the contents and builds the coarse quantiser when large enough. */
  build(
    items: Array<{ id: string; descriptor: Float32Array }> | { ids: string[]; vecs: Float32Array },
  ): void {
    if (Array.isArray(items)) {
      this.ids = items.map((i) => i.id);
      this.vecs = new Float32Array(items.length * DIM);
      items.forEach((it, i) => {
        this.vecs.set(it.descriptor.subarray(0, DIM), i * DIM);
      });
    } else {
      this.ids = items.ids;
      this.vecs = items.vecs;
    }
    this.count = this.ids.length;
    this.centroids = null;
    this.lists = [];
    if (this.count >= this.opts.ivfFrom) this.train();
  }

  add(id: string, descriptor: Float32Array): void {
    if (this.centroids) {
      // Appends to the nearest list; a rebuild re-trains.
      const grown = new Float32Array((this.count + 1) * DIM);
      grown.set(this.vecs);
      grown.set(descriptor.subarray(0, DIM), this.count * DIM);
      this.vecs = grown;
      this.ids.push(id);
      const c = this.nearestCentroids(descriptor, 1)[0]!;
      const old = this.lists[c]!;
      const next = new Int32Array(old.length + 1);
      next.set(old);
      next[old.length] = this.count;
      this.lists[c] = next;
      this.count++;
      return;
    }
    this.build([
      ...this.ids.map((i, n) => ({ id: i, descriptor: this.vecs.subarray(n * DIM, (n + 1) * DIM) })),
      { id, descriptor },
    ]);
  }

  /** The `k` nearest templates within `maxDistance`, nearest first. */
  search(q: Float32Array, k = 5, maxDistance = Number.POSITIVE_INFINITY): SearchHit[] {
    const best: SearchHit[] = [];
    const max2 = maxDistance * maxDistance;
    const consider = (row: number) => {
      const d2 = dist2(q, this.vecs, row * DIM);
      if (d2 > max2) return;
      if (best.length === k && d2 >= best[k - 1]!.distance) return;
      best.push({ id: this.ids[row]!, distance: d2 });
      best.sort((a, b) => a.distance - b.distance);
      if (best.length > k) best.pop();
    };
    if (!this.centroids) {
      for (let r = 0; r < this.count; r++) consider(r);
    } else {
      for (const c of this.nearestCentroids(q, this.opts.nprobe)) {
        for (const r of this.lists[c]!) consider(r);
      }
    }
    return best.map((h) => ({ id: h.id, distance: Math.sqrt(h.distance) }));
  }

  private nearestCentroids(q: Float32Array, n: number): number[] {
    const cents = this.centroids!;
    const k = cents.length / DIM;
    const d = new Float64Array(k);
    for (let c = 0; c < k; c++) d[c] = dist2(q, cents, c * DIM);
    return Array.from({ length: k }, (_, i) => i)
      .sort((a, b) => d[a]! - d[b]!)
      .slice(0, n);
  }

  private train(): void {
    const k = this.opts.lists || Math.max(16, Math.round(Math.sqrt(this.count)));
    let seed = this.opts.seed;
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    // k-means on a sample (≤ 64 per list), 8 iterations, then assign every vector.
    const sampleSize = Math.min(this.count, k * 64);
    const sample = Array.from({ length: sampleSize }, () => Math.floor(rand() * this.count));
    const cents = new Float32Array(k * DIM);
    for (let c = 0; c < k; c++)
      cents.set(this.vecs.subarray(sample[c]! * DIM, sample[c]! * DIM + DIM), c * DIM);
    const assign = new Int32Array(sampleSize);
    for (let it = 0; it < 8; it++) {
      for (let s = 0; s < sampleSize; s++) assign[s] = nearest(this.vecs, sample[s]! * DIM, cents, k);
      const sums = new Float64Array(k * DIM);
      const counts = new Int32Array(k);
      for (let s = 0; s < sampleSize; s++) {
        const c = assign[s]!;
        counts[c]!++;
        const off = sample[s]! * DIM;
        for (let j = 0; j < DIM; j++) sums[c * DIM + j]! += this.vecs[off + j]!;
      }
      for (let c = 0; c < k; c++) {
        if (counts[c] === 0) continue;
        for (let j = 0; j < DIM; j++) cents[c * DIM + j] = sums[c * DIM + j]! / counts[c]!;
      }
    }
    const members: number[][] = Array.from({ length: k }, () => []);
    for (let r = 0; r < this.count; r++) members[nearest(this.vecs, r * DIM, cents, k)]!.push(r);
    this.centroids = cents;
    this.lists = members.map((m) => Int32Array.from(m));
  }
}

function dist2(q: Float32Array, v: Float32Array, off: number): number {
  let s = 0;
  for (let j = 0; j < DIM; j++) {
    const d = q[j]! - v[off + j]!;
    s += d * d;
  }
  return s;
}

function nearest(v: Float32Array, off: number, cents: Float32Array, k: number): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    let s = 0;
    const co = c * DIM;
    for (let j = 0; j < DIM; j++) {
      const d = v[off + j]! - cents[co + j]!;
      s += d * d;
    }
    if (s < bestD) {
      bestD = s;
      best = c;
    }
  }
  return best;
}
