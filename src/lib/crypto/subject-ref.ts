import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../clock.ts';
import { sha256Hex } from '../hash.ts';
import { CryptoError, type Envelope } from './envelope.ts';

/** References written before they were keyed: `sub_` + 32 hex of SHA-256(customer:ID number). */
export const LEGACY_SUBJECT_REF = /^sub_[0-9a-f]{32}$/;

const keyContext = (customerId: string) => `subject-key:${customerId}`;

/** The unkeyed digest older rows stored; kept only as the HMAC's input so those rows convert without their ID numbers. */
const legacyRef = (customerId: string, idNumber: string) =>
  `sub_${sha256Hex(`${customerId}:${idNumber}`).slice(0, 32)}`;

/**
 * `subject_ref`: one person's stable pseudonym within one customer, for 1:N duplicate exclusion and
 * data-subject requests. It is an HMAC under a random per-customer key (sealed under the customer's
 * data key in `subject_keys`), so it survives master- and data-key rotation, cannot be reversed by
 * hashing every possible ID number, and becomes unlinkable once the customer is crypto-shredded.
 */
export function createSubjectRefs(deps: { db: Db; envelope: Envelope; clock: Clock }) {
  const { db, envelope, clock } = deps;
  const keys = new Map<string, Promise<Buffer>>();

  async function loadOrCreate(customerId: string): Promise<Buffer> {
    const read = () =>
      db.query<{ sealed_key: Uint8Array }>('SELECT sealed_key FROM subject_keys WHERE customer_id = $1', [
        customerId,
      ]);
    let [row] = await read();
    if (!row) {
      const sealed = await envelope.seal(customerId, keyContext(customerId), randomBytes(32));
      await db.query(
        `INSERT INTO subject_keys (customer_id, sealed_key, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (customer_id) DO NOTHING`,
        [customerId, sealed, clock.now()],
      );
      // Another process may have won the race: everyone uses the stored key.
      [row] = await read();
      if (!row) throw new Error(`subject key for ${customerId} vanished`);
    }
    return envelope.open(keyContext(customerId), row.sealed_key);
  }

  function keyFor(customerId: string): Promise<Buffer> {
    let k = keys.get(customerId);
    if (!k) {
      k = loadOrCreate(customerId);
      k.catch(() => keys.delete(customerId));
      keys.set(customerId, k);
    }
    return k;
  }

  async function fromLegacy(customerId: string, legacy: string): Promise<string> {
    const mac = createHmac('sha256', await keyFor(customerId))
      .update(legacy)
      .digest('hex');
    return `sbj_${mac.slice(0, 32)}`;
  }

  return {
    /** The subject reference of `idNumber` for `customerId`. */
    of: (customerId: string, idNumber: string) => fromLegacy(customerId, legacyRef(customerId, idNumber)),

    /**
     * Rewrites references stored before they were keyed (sessions and face templates alike, so
     * duplicate exclusion keeps matching). Idempotent; safe while serving and from several processes.
     */
    async rekeyLegacy(): Promise<number> {
      const rows = await db.query<{ customer_id: string; subject_ref: string }>(
        `SELECT DISTINCT customer_id, subject_ref FROM verification_sessions WHERE subject_ref LIKE 'sub\\_%'
         UNION SELECT DISTINCT customer_id, subject_ref FROM face_templates WHERE subject_ref LIKE 'sub\\_%'`,
      );
      let n = 0;
      for (const r of rows) {
        if (!LEGACY_SUBJECT_REF.test(r.subject_ref)) continue;
        let next: string | null;
        try {
          next = await fromLegacy(r.customer_id, r.subject_ref);
        } catch (err) {
          // A shredded customer's leftovers get no reference at all rather than a guessable one.
          if (!(err instanceof CryptoError && err.reason === 'shredded')) throw err;
          next = null;
        }
        const key = [r.customer_id, r.subject_ref];
        await db.transaction(async (tx) => {
          await tx.query(
            'UPDATE verification_sessions SET subject_ref = $3 WHERE customer_id = $1 AND subject_ref = $2',
            [...key, next],
          );
          await tx.query(
            'UPDATE face_templates SET subject_ref = $3 WHERE customer_id = $1 AND subject_ref = $2',
            [...key, next ?? ''],
          );
        });
        n++;
      }
      return n;
    },
  };
}
export type SubjectRefs = ReturnType<typeof createSubjectRefs>;
