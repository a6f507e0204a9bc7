import type { Db } from '../../db/client.ts';
import { DEFAULT_THRESHOLD, similarityFromDistance } from '../../ekyc/face/engine.ts';
import { FaceIndex } from '../../ekyc/face/index-ivf.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { deleteTemplate, fromBytes, insertTemplate, listTemplates } from './faces.repo.ts';

export const TEMPLATE_MODEL = 'dlib-resnet128@face-api-1.7+human-mesh-align';

export interface DuplicateHit {
  template_id: string;
  subject_ref: string;
  similarity: number;
}

/**
 * Face templates per customer for 1:N duplicate search ("this face was already verified under
 * another ID number"). The table is the truth; each customer's in-process index is rebuilt from
 * it on first use and kept current by this service's own writes.
 */
export function createFaceTemplateService(deps: { db: Db; clock: Clock }) {
  const indexes = new Map<string, Promise<{ index: FaceIndex; refs: Map<string, string> }>>();

  function indexFor(customerId: string) {
    let p = indexes.get(customerId);
    if (!p) {
      p = (async () => {
        const rows = await listTemplates(deps.db, customerId);
        const index = new FaceIndex();
        index.build(rows.map((r) => ({ id: r.id, descriptor: fromBytes(r.descriptor) })));
        return { index, refs: new Map(rows.map((r) => [r.id, r.subject_ref])) };
      })();
      p.catch(() => indexes.delete(customerId));
      indexes.set(customerId, p);
    }
    return p;
  }

  return {
    async enroll(customerId: string, subjectRef: string, descriptor: Float32Array) {
      const id = newId('ftp');
      const { index, refs } = await indexFor(customerId);
      await insertTemplate(deps.db, {
        id,
        customerId,
        subjectRef,
        descriptor,
        model: TEMPLATE_MODEL,
        now: deps.clock.now(),
      });
      index.add(id, descriptor);
      refs.set(id, subjectRef);
      return { id };
    },

    /** Templates of this customer that match `descriptor`, optionally excluding one subject. */
    async findDuplicates(
      customerId: string,
      descriptor: Float32Array,
      opts: { threshold?: number; excludeSubject?: string; limit?: number } = {},
    ): Promise<DuplicateHit[]> {
      const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
      // similarity = 1 - d / 1.2  ⇔  d = 1.2 (1 - similarity)
      const maxDistance = 1.2 * (1 - threshold);
      const { index, refs } = await indexFor(customerId);
      return index
        .search(descriptor, (opts.limit ?? 5) + 1, maxDistance)
        .map((h) => ({
          template_id: h.id,
          subject_ref: refs.get(h.id) ?? '',
          similarity: Math.round(similarityFromDistance(h.distance) * 1e4) / 1e4,
        }))
        .filter((h) => h.subject_ref !== opts.excludeSubject)
        .slice(0, opts.limit ?? 5);
    },

    async remove(customerId: string, id: string) {
      const ok = await deleteTemplate(deps.db, customerId, id, deps.clock.now());
      indexes.delete(customerId);
      return ok;
    },

    /** Drops cached indexes (e.g. after another process wrote templates). */
    invalidate(customerId?: string) {
      if (customerId) indexes.delete(customerId);
      else indexes.clear();
    },
  };
}
export type FaceTemplateService = ReturnType<typeof createFaceTemplateService>;
