import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from './app.ts';

/** The portal's lists page by `offset`: pages of 2 put together are the whole list, in its order. */
describe('list APIs page by offset', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++)
        await t.ctx.notifier.queue(tx, {
          channel: 'email',
          recipient: `p${i}@bank.vn`,
          subject: `Paging ${i}`,
          bodyText: 'x',
          template: 'test.paging',
        });
    });
  });
  after(() => t.close());

  const LISTS = [
    { url: '/api/users', min: 5 },
    { url: '/api/notices', min: 5 },
    { url: '/api/contracts', min: 1 },
    { url: '/api/tasks', min: 0 },
    { url: '/api/verification-sessions', min: 0 },
  ];

  for (const { url, min } of LISTS) {
    test(`${url}: offset pages add up to the full list`, async () => {
      const admin = await t.login('admin@ekyc.local');
      const get = async (query: string) => {
        const res = await admin.request({ method: 'GET', url: `${url}?${query}` });
        assert.equal(res.statusCode, 200, res.body);
        return (res.json() as { items: Array<{ id: string }> }).items.map((x) => x.id);
      };
      const all = await get('limit=200');
      assert.ok(all.length >= min, `${url} has ${all.length} rows`);
      const paged: string[] = [];
      for (let offset = 0; ; offset += 2) {
        const page = await get(`limit=2&offset=${offset}`);
        paged.push(...page);
        if (page.length < 2) break;
      }
      assert.deepEqual(paged, all);
    });
  }
});
