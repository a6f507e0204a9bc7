import assert from 'node:assert/strict';
import { freshDatabase, onBothEngines } from '../../../test/db.ts';
import { recordAudit, systemActor, verifyAuditChain } from './audit.ts';

onBothEngines('the audit chain detects an edited and a deleted entry', async (engine) => {
  const db = await freshDatabase(engine);
  try {
    for (let i = 0; i < 5; i++) {
      await recordAudit(db, systemActor, {
        action: 'test.step',
        entityType: 'test',
        entityId: `t_${i}`,
        details: { z: i, a: { nested: [1, 'hai'] } },
      });
    }
    assert.deepEqual(await verifyAuditChain(db), { ok: true, checked: 5, brokenAt: null });

    const ids = (await db.query<{ id: number }>('SELECT id FROM audit_log ORDER BY id')).map((r) => r.id);
    await db.query(`UPDATE audit_log SET details = '{"z": 99}'::jsonb WHERE id = $1`, [ids[2]!]);
    assert.deepEqual(await verifyAuditChain(db), { ok: false, checked: 2, brokenAt: ids[2] });
  } finally {
    await db.close();
  }
});

onBothEngines('deleting an audit entry breaks the chain at its successor', async (engine) => {
  const db = await freshDatabase(engine);
  try {
    for (let i = 0; i < 3; i++) await recordAudit(db, systemActor, { action: 'x', entityType: 'test' });
    const ids = (await db.query<{ id: number }>('SELECT id FROM audit_log ORDER BY id')).map((r) => r.id);
    await db.query('DELETE FROM audit_log WHERE id = $1', [ids[1]!]);
    const result = await verifyAuditChain(db);
    assert.equal(result.ok, false);
    assert.equal(result.brokenAt, ids[2]);
  } finally {
    await db.close();
  }
});

onBothEngines('concurrent writers still form one unbroken chain', async (engine) => {
  const db = await freshDatabase(engine);
  try {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        recordAudit(db, systemActor, { action: 'parallel', entityType: 'test', entityId: String(i) }),
      ),
    );
    assert.deepEqual(await verifyAuditChain(db), { ok: true, checked: 20, brokenAt: null });
  } finally {
    await db.close();
  }
});
