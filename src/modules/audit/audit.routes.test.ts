import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { recordAudit, systemActor } from './audit.ts';

interface Entry {
  id: number;
  action: string;
  entity_id: string | null;
}

describe('GET /api/audit filters and pages', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    const write = (action: string, entityId: string) =>
      recordAudit(t.db, systemActor, { action, entityType: 'audit_test', entityId });
    await write('contract.declare', 'a1');
    await write('contract.provision', 'a2');
    await write('contractor.x', 'a3');
    await write('unit.update', 'a4');
    // Either side of local midnight of 2026-11-10 in Asia/Ho_Chi_Minh (UTC+7). Moving `at` breaks the
    // hash chain, which these tests do not read.
    await t.db.query(`UPDATE audit_log SET at = '2026-11-09T16:30:00Z' WHERE entity_id = 'a1'`);
    await t.db.query(`UPDATE audit_log SET at = '2026-11-09T17:30:00Z' WHERE entity_id = 'a2'`);
  });
  after(() => t.close());

  const get = async (query: string) => {
    const admin = await t.login('admin@ekyc.local');
    const res = await admin.request({ method: 'GET', url: `/api/audit?entity_type=audit_test&${query}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { items: Entry[]; next_before_id: number | null };
  };

  test('an action family matches its actions and not a longer word', async () => {
    const family = await get('action=contract');
    assert.deepEqual(family.items.map((e) => e.action).sort(), ['contract.declare', 'contract.provision']);
    const one = await get('action=contract.provision');
    assert.deepEqual(
      one.items.map((e) => e.entity_id),
      ['a2'],
    );
  });

  test('a day range is in local days: 00:30 local on the 10th is the 10th, 23:30 on the 9th is not', async () => {
    assert.deepEqual(
      (await get('from=2026-11-10&to=2026-11-10')).items.map((e) => e.entity_id),
      ['a2'],
    );
    assert.deepEqual(
      (await get('to=2026-11-09')).items.map((e) => e.entity_id),
      ['a1'],
    );
  });

  test('pages follow next_before_id to the end without repeating an entry', async () => {
    const seen: string[] = [];
    let page = await get('limit=3');
    assert.equal(page.items.length, 3);
    seen.push(...page.items.map((e) => e.entity_id ?? ''));
    assert.ok(page.next_before_id);
    page = await get(`limit=3&before_id=${page.next_before_id}`);
    seen.push(...page.items.map((e) => e.entity_id ?? ''));
    assert.equal(page.next_before_id, null);
    assert.deepEqual(seen, ['a4', 'a3', 'a2', 'a1']);
  });

  test('a date that is not one is refused with the validation problem', async () => {
    const admin = await t.login('admin@ekyc.local');
    const res = await admin.request({ method: 'GET', url: '/api/audit?from=2026-13-40' });
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
  });
});
