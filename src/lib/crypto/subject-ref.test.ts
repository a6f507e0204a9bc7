import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { freshDatabase, onBothEngines } from '../../../test/db.ts';
import { fixedClock } from '../clock.ts';
import { sha256Hex } from '../hash.ts';
import { createEnvelope } from './envelope.ts';
import { createSubjectRefs } from './subject-ref.ts';

const clock = fixedClock('2026-11-24T03:00:00Z');
const ID = '001099012345';

async function customer(db: Awaited<ReturnType<typeof freshDatabase>>, id: string) {
  await db.query(
    `INSERT INTO customers (id, legal_name, tax_code, segment) VALUES ($1, 'Test', $2, 'bank')`,
    [id, `01${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`],
  );
}

onBothEngines(
  'subject_ref is keyed per customer, stable across master-key rotation, and legacy rows convert',
  async (engine) => {
    const db = await freshDatabase(engine);
    try {
      await customer(db, 'cus_sr_a');
      await customer(db, 'cus_sr_b');
      const oldMaster = randomBytes(32);
      const envelope = createEnvelope({ db, keyring: { current: oldMaster, previous: [] }, clock });
      const refs = createSubjectRefs({ db, envelope, clock });
      const a = await refs.of('cus_sr_a', ID);
      assert.match(a, /^sbj_[0-9a-f]{32}$/);
      assert.equal(await refs.of('cus_sr_a', ID), a);
      assert.notEqual(await refs.of('cus_sr_a', '001099012346'), a);
      assert.notEqual(await refs.of('cus_sr_b', ID), a);
      // Hashing the ID space no longer finds it: the unkeyed digest is not the reference.
      const unkeyed = `sub_${sha256Hex(`cus_sr_a:${ID}`).slice(0, 32)}`;
      assert.notEqual(a.slice(4), unkeyed.slice(4));
      // The key is stored sealed, never in clear.
      const [row] = await db.query<{ sealed_key: Uint8Array }>(
        `SELECT sealed_key FROM subject_keys WHERE customer_id = 'cus_sr_a'`,
      );
      assert.ok(row && Buffer.from(row.sealed_key).subarray(0, 4).toString() === 'EKE1');

      // Another process after a master-key rotation computes the same reference.
      const newMaster = randomBytes(32);
      const rotated = createEnvelope({ db, keyring: { current: newMaster, previous: [oldMaster] }, clock });
      await rotated.rewrapAll();
      const after = createEnvelope({ db, keyring: { current: newMaster, previous: [] }, clock });
      assert.equal(await createSubjectRefs({ db, envelope: after, clock }).of('cus_sr_a', ID), a);

      // Rows written with the unkeyed digest convert to the keyed reference, in both tables.
      const now = clock.now();
      await db.query(
        `INSERT INTO verification_sessions (id, customer_id, reference_id, checks, status, created_at, updated_at,
           last_activity_at, subject_ref) VALUES ('ses_sr1', 'cus_sr_a', 'r1', '[]', 'approved', $1, $1, $1, $2)`,
        [now, unkeyed],
      );
      await db.query(
        `INSERT INTO face_templates (id, customer_id, subject_ref, descriptor, model, created_at)
         VALUES ('ftp_sr1', 'cus_sr_a', $1, $2, 'm', $3)`,
        [unkeyed, Buffer.alloc(0), now],
      );
      assert.equal(await refs.rekeyLegacy(), 1);
      assert.equal(await refs.rekeyLegacy(), 0);
      const [ses] = await db.query<{ subject_ref: string }>(
        `SELECT subject_ref FROM verification_sessions WHERE id = 'ses_sr1'`,
      );
      const [tpl] = await db.query<{ subject_ref: string }>(
        `SELECT subject_ref FROM face_templates WHERE id = 'ftp_sr1'`,
      );
      assert.equal(ses?.subject_ref, a);
      assert.equal(tpl?.subject_ref, a);

      // A shredded customer's leftover unkeyed references are dropped, not kept guessable.
      const unkeyedB = `sub_${sha256Hex(`cus_sr_b:${ID}`).slice(0, 32)}`;
      await db.query(
        `INSERT INTO face_templates (id, customer_id, subject_ref, descriptor, model, created_at)
         VALUES ('ftp_sr2', 'cus_sr_b', $1, $2, 'm', $3)`,
        [unkeyedB, Buffer.alloc(0), now],
      );
      await after.shred('cus_sr_b');
      const fresh = createSubjectRefs({ db, envelope: after, clock });
      assert.equal(await fresh.rekeyLegacy(), 1);
      const [gone] = await db.query<{ subject_ref: string }>(
        `SELECT subject_ref FROM face_templates WHERE id = 'ftp_sr2'`,
      );
      assert.equal(gone?.subject_ref, '');
    } finally {
      await db.close();
    }
  },
);
