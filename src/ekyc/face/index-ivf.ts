/**
 * In-process 1:N index over 128-d face descriptors (Euclidean distance), rebuilt from the table.
 * Below `ivfFrom` templates it is one list scanned exactly. From there on it is an IVF index with a
 * two-level k-means quantiser: ~√n leaf lists grouped under ~√(√n) coarse centroids, so building
 * costs each vector ~2·n^¼ centroid distances instead of √n (1M templates: 64, not 1,000). A query
 * ranks the coarse centroids, then the leaves under the `coarseProbe` nearest ones, and scans the
 * `nprobe` nearest leaves exactly. Each list keeps its vectors contiguous (one Float32Array, grown
 * by doubling) so a scan reads memory in order, and a scan abandons a vector as soon as its partial
 * distance exceeds the bound (the search radius, or the k-th best so far). Recall@1 against the exact
 * scan and latency at 100k and 1M are measured by `npm run bench -- faces`.
 */
export const DIM = 128;

export interface SearchHit {
  id: string;
  distance: number;
}

export interface FaceIndexOptions {
  /** Below this many templates the index is a single exactly scanned list. */
  ivfFrom?: number;
  /** Leaf lists; 0 → √n. */
  lists?: number;
  /** Leaf lists scanned per query. */
  nprobe?: number;
  /** Coarse centroids whose leaves are ranked per query. */
  coarseProbe?: number;
  seed?: number;
}

interface List {
  ids: string[];
  vecs: Float32Array;
  n: number;
}

const newList = (capacity = 16): List => ({ ids: [], vecs: new Float32Array(capacity * DIM), n: 0 });

function append(list: List, id: string, v: Float32Array, off = 0): void {
  if ((list.n + 1) * DIM > list.vecs.length) {
    const grown = new Float32Array(Math.max(16, list.n * 2) * DIM);
    grown.set(list.vecs.subarray(0, list.n * DIM));
    list.vecs = grown;
  }
  list.vecs.set(v.subarray(off, off + DIM), list.n * DIM);
  list.ids.push(id);
  list.n++;
}

export class FaceIndex {
  private lists: List[] = [newList()];
  /** Coarse centroids (C × DIM), each leaf's centroid (L × DIM), and the leaves under each coarse one. */
  private coarse: Float32Array | null = null;
  private leaves: Float32Array | null = null;
  private children: Int32Array[] = [];
  private count = 0;
  private readonly opts: Required<FaceIndexOptions>;

  constructor(opts: FaceIndexOptions = {}) {
    // 32 leaves under the 8 nearest coarse centroids: recall@1 100 % against the exact scan at 100k and
    // 1M random templates (the hard case: no identity clusters), ~6 ms CPU per query at 1M.
    this.opts = { ivfFrom: 20_000, lists: 0, nprobe: 32, coarseProbe: 8, seed: 1, ...opts };
  }

  get size(): number {
    return this.count;
  }

  /** Replaces the contents and trains the quantiser when large enough. */
  build(
    items: Array<{ id: string; descriptor: Float32Array }> | { ids: string[]; vecs: Float32Array },
  ): void {
    let ids: string[];
    let vecs: Float32Array;
    if (Array.isArray(items)) {
      ids = items.map((i) => i.id);
      vecs = new Float32Array(items.length * DIM);
      items.forEach((it, i) => {
        vecs.set(it.descriptor.subarray(0, DIM), i * DIM);
      });
    } else {
      ids = items.ids;
      vecs = items.vecs;
    }
    this.count = ids.length;
    this.coarse = null;
    this.leaves = null;
    this.children = [];
    const listCount = this.count >= this.opts.ivfFrom ? this.train(vecs) : 1;
    const assign =
      listCount > 1 ? Int32Array.from({ length: this.count }, (_, r) => this.leafOf(vecs, r * DIM)) : null;
    const sizes = new Int32Array(listCount);
    if (assign) for (const a of assign) sizes[a]!++;
    else sizes[0] = this.count;
    this.lists = Array.from(sizes, (s) => newList(Math.max(16, s)));
    for (let r = 0; r < this.count; r++) append(this.lists[assign ? assign[r]! : 0]!, ids[r]!, vecs, r * DIM);
  }

  add(id: string, descriptor: Float32Array): void {
    // The quantiser stays as trained (a rebuild re-trains); below `ivfFrom` one list grows until then.
    const leaf = this.leaves ? this.leafOf(descriptor, 0) : 0;
    append(this.lists[leaf]!, id, descriptor);
    this.count++;
    if (!this.leaves && this.count >= this.opts.ivfFrom) {
      const all = this.lists[0]!;
      this.build({ ids: all.ids, vecs: all.vecs.subarray(0, all.n * DIM) });
    }
  }

  /** The `k` nearest templates within `maxDistance`, nearest first (`opts` override the defaults). */
  search(
    q: Float32Array,
    k = 5,
    maxDistance = Number.POSITIVE_INFINITY,
    opts: { nprobe?: number; coarseProbe?: number } = {},
  ): SearchHit[] {
    const best: SearchHit[] = [];
    let bound = maxDistance * maxDistance;
    const scan = (list: List) => {
      const v = list.vecs;
      for (let r = 0; r < list.n; r++) {
        const off = r * DIM;
        let s = 0;
        // Partial sums checked every 32 dimensions: most vectors are far and stop after 32 or 64.
        for (let j0 = 0; j0 < DIM && s <= bound; j0 += 32) {
          for (let j = j0; j < j0 + 32; j++) {
            const d = q[j]! - v[off + j]!;
            s += d * d;
          }
        }
        if (s > bound) continue;
        let at = best.length;
        while (at > 0 && best[at - 1]!.distance > s) at--;
        best.splice(at, 0, { id: list.ids[r]!, distance: s });
        if (best.length > k) best.pop();
        if (best.length === k) bound = Math.min(bound, best[k - 1]!.distance);
      }
    };
    if (!this.leaves) scan(this.lists[0]!);
    else {
      const probes = this.probe(
        q,
        opts.nprobe ?? this.opts.nprobe,
        opts.coarseProbe ?? this.opts.coarseProbe,
      );
      for (const leaf of probes) scan(this.lists[leaf]!);
    }
    return best.map((h) => ({ id: h.id, distance: Math.sqrt(h.distance) }));
  }

  /** The `nprobe` leaves nearest to `q` among those under its `coarseProbe` nearest coarse centroids. */
  private probe(q: Float32Array, nprobe: number, coarseProbe: number): number[] {
    const coarse = nearestN(q, 0, this.coarse!, range(this.coarse!.length / DIM), coarseProbe);
    const candidates = coarse.flatMap((c) => Array.from(this.children[c]!));
    return nearestN(q, 0, this.leaves!, candidates, nprobe);
  }

  /** The leaf a stored vector belongs to: nearest coarse centroid, then its nearest leaf. */
  private leafOf(v: Float32Array, off: number): number {
    const c = nearest(v, off, this.coarse!, range(this.coarse!.length / DIM));
    return nearest(v, off, this.leaves!, this.children[c]!);
  }

  /** Trains both levels of the quantiser on a sample; returns the number of leaves. */
  private train(vecs: Float32Array): number {
    const leafCount = this.opts.lists || Math.max(16, Math.round(Math.sqrt(this.count)));
    const coarseCount = Math.max(2, Math.round(Math.sqrt(leafCount)));
    let seed = this.opts.seed;
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    // A sample of ≤ 48 vectors per leaf trains both levels.
    const sampleSize = Math.min(this.count, leafCount * 48);
    const sample = new Float32Array(sampleSize * DIM);
    for (let s = 0; s < sampleSize; s++) {
      const r = Math.floor(rand() * this.count);
      sample.set(vecs.subarray(r * DIM, r * DIM + DIM), s * DIM);
    }
    const coarse = kmeans(sample, range(sampleSize), coarseCount, rand);
    const groups: number[][] = Array.from({ length: coarseCount }, () => []);
    const all = range(coarseCount);
    for (let s = 0; s < sampleSize; s++) groups[nearest(sample, s * DIM, coarse, all)]!.push(s);
    const leaves: Float32Array[] = [];
    this.children = groups.map((g) => {
      // Leaves in proportion to the group's share of the sample (at least one).
      const k = Math.max(1, Math.min(g.length, Math.round((leafCount * g.length) / sampleSize)));
      const cents = g.length ? kmeans(sample, g, k, rand) : new Float32Array(0);
      const first = leaves.length;
      for (let i = 0; i < cents.length / DIM; i++) leaves.push(cents.subarray(i * DIM, (i + 1) * DIM));
      return Int32Array.from({ length: cents.length / DIM }, (_, i) => first + i);
    });
    this.coarse = coarse;
    this.leaves = new Float32Array(leaves.length * DIM);
    leaves.forEach((c, i) => {
      this.leaves!.set(c, i * DIM);
    });
    return leaves.length;
  }
}

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** k-means (8 Lloyd iterations) over the vectors `rows` of `v`, seeded with random members. */
function kmeans(v: Float32Array, rows: ArrayLike<number>, k: number, rand: () => number): Float32Array {
  const cents = new Float32Array(k * DIM);
  for (let c = 0; c < k; c++) {
    const r = rows[Math.floor(rand() * rows.length)]!;
    cents.set(v.subarray(r * DIM, r * DIM + DIM), c * DIM);
  }
  const all = range(k);
  for (let it = 0; it < 8; it++) {
    const sums = new Float64Array(k * DIM);
    const counts = new Int32Array(k);
    for (let i = 0; i < rows.length; i++) {
      const off = rows[i]! * DIM;
      const c = nearest(v, off, cents, all);
      counts[c]!++;
      for (let j = 0; j < DIM; j++) sums[c * DIM + j]! += v[off + j]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let j = 0; j < DIM; j++) cents[c * DIM + j] = sums[c * DIM + j]! / counts[c]!;
    }
  }
  return cents;
}

function dist2(a: Float32Array, aOff: number, b: Float32Array, bOff: number): number {
  let s = 0;
  for (let j = 0; j < DIM; j++) {
    const d = a[aOff + j]! - b[bOff + j]!;
    s += d * d;
  }
  return s;
}

function nearest(v: Float32Array, off: number, cents: Float32Array, among: ArrayLike<number>): number {
  let best = among[0] ?? 0;
  let bestD = Number.POSITIVE_INFINITY;
  for (let i = 0; i < among.length; i++) {
    const d = dist2(v, off, cents, among[i]! * DIM);
    if (d < bestD) {
      bestD = d;
      best = among[i]!;
    }
  }
  return best;
}

function nearestN(
  v: Float32Array,
  off: number,
  cents: Float32Array,
  among: ArrayLike<number>,
  n: number,
): number[] {
  const d = Array.from(among, (c) => ({ c, d: dist2(v, off, cents, c * DIM) }));
  return d
    .sort((a, b) => a.d - b.d)
    .slice(0, n)
    .map((x) => x.c);
}
