import type { Db } from '../../db/client.ts';
import { DEFAULT_THRESHOLD, similarityFromDistance } from '../../ekyc/face/engine.ts';
import { FaceIndex } from '../../ekyc/face/index-ivf.ts';
import type { Clock } from '../../lib/clock.ts';
import { CryptoError, type Envelope, isSealed } from '../../lib/crypto/envelope.ts';
import { newId } from '../../lib/ids.ts';
import { deleteTemplate, fromBytes, insertTemplate, listTemplates, toBytes } from './faces.repo.ts';

/**
 * What produced a stored descriptor. `human-mesh-align` rows came from the four-point alignment;
 * the same photo's descriptor moved by a distance of 0.16 median, 0.32 at most (60 shared photos)
 * with the rigid-point one. Both stay in one index: a duplicate across the change is still found
 * (same-person limit 0.6), with that much less margin.
 */
export const TEMPLATE_MODEL = 'dlib-resnet128@face-api-1.7+human-mesh-rigid-align';

export interface DuplicateHit {
  template_id: string;
  subject_ref: string;
  similarity: number;
}

/** Bound as associated data: a sealed descriptor copied onto another template row does not open. */
const templateContext = (id: string) => `face-template:${id}`;

/**
 * Face templates per customer for 1:N duplicate search ("this face was already verified under
 * another ID number"). The table is the truth, its descriptors sealed under the customer's data
 * key (a face descriptor identifies a person like a photo does; crypto-shredding must reach it).
 * Each customer's in-process index is rebuilt from the table on first use by opening every
 * descriptor, and kept current by this service's own writes.
 */
export function createFaceTemplateService(deps: { db: Db; clock: Clock; envelope: Envelope }) {
  const { db, envelope } = deps;
  const indexes = new Map<string, Promise<{ index: FaceIndex; refs: Map<string, string> }>>();

  function indexFor(customerId: string) {
    let p = indexes.get(customerId);
    if (!p) {
      p = (async () => {
        const rows = await listTemplates(db, customerId);
        const entries = [];
        for (const r of rows) {
          entries.push({
            id: r.id,
            descriptor: fromBytes(await envelope.open(templateContext(r.id), r.descriptor)),
          });
        }
        const index = new FaceIndex();
        index.build(entries);
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
      await insertTemplate(db, {
        id,
        customerId,
        subjectRef,
        sealedDescriptor: await envelope.seal(customerId, templateContext(id), toBytes(descriptor)),
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
      const ok = await deleteTemplate(db, customerId, id, deps.clock.now());
      indexes.delete(customerId);
      return ok;
    },

    /**
     * Seals descriptors stored in clear before templates were sealed (deleted ones too). A shredded
     * customer's are emptied instead. Idempotent; safe while serving.
     */
    async sealLegacy(): Promise<number> {
      const rows = await db.query<{ id: string; customer_id: string; descriptor: Uint8Array }>(
        `SELECT id, customer_id, descriptor FROM face_templates
          WHERE length(descriptor) > 0 AND substring(descriptor from 1 for 4) <> '\\x454b4531'::bytea`,
      );
      let n = 0;
      for (const r of rows) {
        if (isSealed(r.descriptor)) continue;
        let sealed: Buffer;
        try {
          sealed = await envelope.seal(r.customer_id, templateContext(r.id), r.descriptor);
        } catch (err) {
          if (!(err instanceof CryptoError && err.reason === 'shredded')) throw err;
          sealed = Buffer.alloc(0);
        }
        await db.query('UPDATE face_templates SET descriptor = $2 WHERE id = $1 AND descriptor = $3', [
          r.id,
          sealed,
          r.descriptor,
        ]);
        n++;
      }
      if (n > 0) indexes.clear();
      return n;
    },

    /** Drops cached indexes (e.g. after another process wrote templates). */
    invalidate(customerId?: string) {
      if (customerId) indexes.delete(customerId);
      else indexes.clear();
    },
  };
}
export type FaceTemplateService = ReturnType<typeof createFaceTemplateService>;
