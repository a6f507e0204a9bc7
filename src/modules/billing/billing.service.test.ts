import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Engine, freshDatabase, TEST_POSTGRES_URL } from '../../../test/db.ts';
import type { Database } from '../../db/client.ts';
import { fixedClock } from '../../lib/clock.ts';
import { systemActor } from '../audit/audit.ts';
import { statementEntries, statementTotals } from '../commissions/ledger.ts';
import { recordUsage, recordUsageBatch, type UsageEvent } from '../metering/metering.ts';
import { createBillingService } from './billing.service.ts';
import { insertPlan, insertPlanVersion } from './plans.repo.ts';
import { DEFAULT_TIERS } from './pricing.ts';
import { buildContract, buildCustomer, buildParties } from './test-builders.ts';

const TZ = 'Asia/Ho_Chi_Minh';

/**
 * One database per engine for the whole file (a fresh one costs seconds); each test bills its own
 * month with its own customers, so tests stay independent.
 */
const dbs = new Map<Engine, Database | null>();

async function setup(engine: Engine, vatRateBp = 1000, now = '2027-01-01T00:05:00+07:00') {
  const db = dbs.get(engine)!;
  const clock = fixedClock(now);
  const billing = createBillingService({ db, clock, options: { vatRateBp, reviewDays: 3, timezone: TZ } });
  return { db, clock, billing };
}

function onBothEngines(name: string, body: (engine: Engine) => Promise<void>): void {
  for (const engine of ['pglite', 'postgres'] as const) {
    test(`${name} [${engine}]`, async (t) => {
      if (!dbs.get(engine)) {
        if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${TEST_POSTGRES_URL}`);
        t.skip('PostgreSQL not reachable');
        return;
      }
      await body(engine);
    });
  }
}

before(async () => {
  for (const engine of ['pglite', 'postgres'] as const) {
    const db = await freshDatabase(engine).catch(() => null);
    if (db) {
      await buildParties(db);
    }
    dbs.set(engine, db);
  }
});
after(async () => {
  for (const db of dbs.values()) await db?.close();
});

function events(customerId: string, n: number, at: Date, prefix: string): UsageEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    customerId,
    requestId: `${prefix}-${i}`,
    kind: 'verification',
    at: new Date(at.getTime() + (i % 1000) * 1000),
  }));
}

describe('monthly billing run', () => {
  onBothEngines(
    'local month boundaries: 23:59:59 on the last day counts, 00:00:00 on the 1st does not',
    async (engine) => {
      const { db, billing } = await setup(engine);
      {
        const cus = await buildCustomer(db);
        await buildContract(db, { customerId: cus, start: '2026-01-01', end: '2026-12-31' });
        for (const [id, at] of [
          ['a', '2026-10-31T23:59:59+07:00'],
          ['b', '2026-11-01T00:00:00+07:00'],
          ['c', '2026-11-30T23:59:59+07:00'],
          ['d', '2026-12-01T00:00:00+07:00'],
        ] as const) {
          await recordUsage(db, {
            customerId: cus,
            requestId: `req-${id}`,
            kind: 'verification',
            at: new Date(at),
          });
        }
        const run = await billing.runMonth('2026-11', systemActor);
        assert.equal(run.created, 1);
        assert.equal(run.billedEvents, 2);
        const [inv] = await db.query<{ id: string; subtotal_vnd: number }>(
          'SELECT id, subtotal_vnd FROM invoices WHERE customer_id = $1',
          [cus],
        );
        const lines = await billing.linesOf(inv!.id);
        assert.equal(lines[0]?.quantity, 2);
        assert.equal(inv!.subtotal_vnd, 2_000);
        // October and December see one event each.
        await assert.rejects(billing.runMonth('2027-01', systemActor), { code: 'ERR_BILLING_MONTH_INVALID' });
        const oct = await billing.runMonth('2026-10', systemActor);
        assert.equal(oct.billedEvents, 1);
      }
    },
  );

  onBothEngines(
    '12,000 requests: volume 10,800,000 + 10 % VAT; a graduated custom plan 11,550,000',
    async (engine) => {
      const { db, billing } = await setup(engine);
      {
        await insertPlan(db, { code: 'grad_test', name: 'Graduated', customerId: null });
        await insertPlanVersion(db, {
          id: 'ppv_gradtest',
          planCode: 'grad_test',
          effectiveFrom: '2026-01-01',
          tierMode: 'graduated',
          tiers: DEFAULT_TIERS,
          minimumMonthlyVnd: 0,
        });
        const vol = await buildCustomer(db);
        const grad = await buildCustomer(db);
        await buildContract(db, { customerId: vol, start: '2026-01-01', end: '2026-12-31' });
        await buildContract(db, {
          customerId: grad,
          start: '2026-01-01',
          end: '2026-12-31',
          plan: 'grad_test',
        });
        const at = new Date('2026-09-10T08:00:00+07:00');
        await recordUsageBatch(db, [...events(vol, 12_000, at, 'v'), ...events(grad, 12_000, at, 'g')]);
        const run = await billing.runMonth('2026-09', systemActor);
        assert.equal(run.created, 2);
        const rows = await db.query<{
          customer_id: string;
          subtotal_vnd: number;
          vat_vnd: number;
          total_vnd: number;
        }>(
          'SELECT customer_id, subtotal_vnd, vat_vnd, total_vnd FROM invoices WHERE customer_id = ANY($1::text[])',
          [[vol, grad]],
        );
        const v = rows.find((r) => r.customer_id === vol)!;
        const g = rows.find((r) => r.customer_id === grad)!;
        assert.deepEqual([v.subtotal_vnd, v.vat_vnd, v.total_vnd], [10_800_000, 1_080_000, 11_880_000]);
        assert.deepEqual([g.subtotal_vnd, g.vat_vnd, g.total_vnd], [11_550_000, 1_155_000, 12_705_000]);
      }
    },
  );

  onBothEngines('a mid-month start and a mid-month cancellation count only their days', async (engine) => {
    const { db, billing } = await setup(engine);
    {
      const starts = await buildCustomer(db);
      const cancels = await buildCustomer(db);
      await buildContract(db, { customerId: starts, start: '2026-08-16', end: '2027-08-15' });
      await buildContract(db, {
        customerId: cancels,
        start: '2026-01-01',
        end: '2026-12-31',
        status: 'cancelled',
        cancelEffective: '2026-08-11',
      });
      for (const cus of [starts, cancels]) {
        await recordUsageBatch(db, [
          ...events(cus, 7, new Date('2026-08-05T10:00:00+07:00'), `${cus}-early`),
          ...events(cus, 3, new Date('2026-08-10T23:00:00+07:00'), `${cus}-tenth`),
          ...events(cus, 5, new Date('2026-08-20T10:00:00+07:00'), `${cus}-late`),
        ]);
      }
      const run = await billing.runMonth('2026-08', systemActor);
      assert.equal(run.unbilledEvents, 10 + 5);
      const rows = await db.query<{ customer_id: string; subtotal_vnd: number }>(
        'SELECT customer_id, subtotal_vnd FROM invoices WHERE customer_id = ANY($1::text[])',
        [[starts, cancels]],
      );
      assert.equal(rows.find((r) => r.customer_id === starts)?.subtotal_vnd, 5_000);
      assert.equal(rows.find((r) => r.customer_id === cancels)?.subtotal_vnd, 10_000);
    }
  });

  onBothEngines(
    'days two contracts share count on the later one; days with none stay unbilled',
    async (engine) => {
      const { db, billing } = await setup(engine);
      const cus = await buildCustomer(db);
      const old = await buildContract(db, { customerId: cus, start: '2025-03-21', end: '2026-03-20' });
      const renewal = await buildContract(db, { customerId: cus, start: '2026-03-15', end: '2026-03-25' });
      await recordUsageBatch(db, [
        ...events(cus, 2, new Date('2026-03-14T23:30:00+07:00'), 'ov-old'),
        ...events(cus, 3, new Date('2026-03-15T00:00:00+07:00'), 'ov-both'),
        ...events(cus, 4, new Date('2026-03-25T23:00:00+07:00'), 'ov-new'),
        ...events(cus, 5, new Date('2026-03-26T00:00:00+07:00'), 'ov-none'),
      ]);
      const run = await billing.runMonth('2026-03', systemActor, { customerId: cus });
      assert.deepEqual([run.billedEvents, run.unbilledEvents], [9, 5]);
      const lines = await db.query<{ contract_id: string; quantity: number }>(
        `SELECT l.contract_id, l.quantity FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
        WHERE i.customer_id = $1 AND l.kind = 'usage' ORDER BY l.quantity`,
        [cus],
      );
      assert.deepEqual(
        lines.map((l) => [l.contract_id, l.quantity]),
        [
          [old, 2],
          [renewal, 7],
        ],
      );
    },
  );

  onBothEngines('a re-run adds no duplicate and never changes a finalized invoice', async (engine) => {
    const { db, billing, clock } = await setup(engine);
    {
      const a = await buildCustomer(db);
      const b = await buildCustomer(db);
      for (const cus of [a, b])
        await buildContract(db, { customerId: cus, start: '2026-01-01', end: '2026-12-31' });
      await recordUsageBatch(db, [
        ...events(a, 10, new Date('2026-07-03T10:00:00+07:00'), 'a1'),
        ...events(b, 10, new Date('2026-07-03T10:00:00+07:00'), 'b1'),
      ]);
      const first = await billing.runMonth('2026-07', systemActor);
      assert.equal(first.created, 2);
      const invA = (
        await db.query<{ id: string }>('SELECT id FROM invoices WHERE customer_id = $1', [a])
      )[0]!;
      const finalized = await billing.finalize(invA.id, systemActor);
      assert.match(finalized.number ?? '', /^HD2027-\d{7}$/);
      // Late events arrive for both customers; a retry of one already counted changes nothing.
      await recordUsageBatch(db, [
        ...events(a, 5, new Date('2026-07-29T10:00:00+07:00'), 'a2'),
        ...events(b, 5, new Date('2026-07-29T10:00:00+07:00'), 'b2'),
        ...events(b, 10, new Date('2026-07-03T10:00:00+07:00'), 'b1'),
      ]);
      const second = await billing.runMonth('2026-07', systemActor);
      assert.deepEqual([second.created, second.updated, second.skippedFinalized], [0, 1, 1]);
      const rows = await db.query<{ customer_id: string; subtotal_vnd: number; status: string }>(
        "SELECT customer_id, subtotal_vnd, status FROM invoices WHERE kind = 'invoice' AND customer_id = ANY($1::text[])",
        [[a, b]],
      );
      assert.equal(rows.length, 2);
      assert.equal(rows.find((r) => r.customer_id === a)?.subtotal_vnd, 10_000);
      assert.equal(rows.find((r) => r.customer_id === b)?.subtotal_vnd, 15_000);
      await assert.rejects(billing.finalize(invA.id, systemActor), { code: 'ERR_INVOICE_NOT_DRAFT' });
      // The draft finalizes on its own once its review period is over.
      assert.equal(await billing.finalizeDue(systemActor), 0);
      clock.advance(3 * 86_400_000 + 1);
      assert.ok((await billing.finalizeDue(systemActor)) >= 1);
      const statuses = await db.query<{ status: string }>(
        'SELECT status FROM invoices WHERE customer_id = $1',
        [b],
      );
      assert.deepEqual(statuses, [{ status: 'finalized' }]);
      assert.equal((await billing.runMonth('2026-07', systemActor)).skippedFinalized, 2);
    }
  });

  onBothEngines(
    'channel share: 40 % to the agent, 35 % to the AM; a credit note reverses its share',
    async (engine) => {
      const { db, billing } = await setup(engine, 1000, '2027-03-01T00:05:00+07:00');
      {
        const viaAgent = await buildCustomer(db);
        const viaAm = await buildCustomer(db);
        await buildContract(db, {
          customerId: viaAgent,
          start: '2026-01-01',
          end: '2026-12-31',
          signingUnit: 'unt_dl1',
          agentUnit: 'unt_dl1',
        });
        await buildContract(db, { customerId: viaAm, start: '2026-01-01', end: '2026-12-31' });
        await recordUsageBatch(db, [
          ...events(viaAgent, 12_000, new Date('2026-06-03T10:00:00+07:00'), 'ag'),
          ...events(viaAm, 3, new Date('2026-06-03T10:00:00+07:00'), 'am'),
        ]);
        await billing.runMonth('2026-06', systemActor);
        const invoices = await db.query<{ id: string; customer_id: string }>(
          'SELECT id, customer_id FROM invoices WHERE customer_id = ANY($1::text[])',
          [[viaAgent, viaAm]],
        );
        for (const i of invoices) await billing.finalize(i.id, systemActor);
        const month = '2027-03'; // booked in the month of finalization
        const agent = statementTotals(await statementEntries(db, month, { unitId: 'unt_dl1' }));
        assert.deepEqual(
          agent.map((t) => [t.channel, t.base_vnd, t.amount_vnd]),
          [['agent', 10_800_000, 4_320_000]],
        );
        const am = statementTotals(await statementEntries(db, month, { userId: 'usr_am1' }));
        assert.deepEqual(
          am.map((t) => [t.channel, t.base_vnd, t.amount_vnd]),
          [['am', 3_000, 1_050]],
        );

        const agentInvoice = invoices.find((i) => i.customer_id === viaAgent)!;
        const [line] = await billing.linesOf(agentInvoice.id);
        // A partial credit of 1,000,001 VND, then the rest: shares reverse to the last đồng.
        const partial = await billing.creditNote(
          agentInvoice.id,
          { reason: 'Sai sản lượng', lines: [{ lineId: line!.id, amountVnd: 1_000_001 }] },
          systemActor,
        );
        assert.equal(partial.creditNote.subtotal_vnd, -1_000_001);
        assert.equal(partial.creditNote.vat_vnd, -100_000); // 100,000.1 → half up per line
        assert.match(partial.creditNote.number ?? '', /^DC2027-/);
        await assert.rejects(
          billing.creditNote(
            agentInvoice.id,
            { reason: 'x', lines: [{ lineId: line!.id, amountVnd: 10_000_000 }] },
            systemActor,
          ),
          { code: 'ERR_CREDIT_EXCEEDS' },
        );
        const rest = await billing.creditNote(agentInvoice.id, { reason: 'Huỷ' }, systemActor);
        assert.equal(rest.creditNote.subtotal_vnd, -9_799_999);
        const after = statementTotals(await statementEntries(db, month, { unitId: 'unt_dl1' }));
        assert.deepEqual(
          after.map((t) => [t.base_vnd, t.amount_vnd, t.entries]),
          [[0, 0, 3]],
        );
        await assert.rejects(billing.creditNote(agentInvoice.id, { reason: 'again' }, systemActor), {
          code: 'ERR_CREDIT_EXCEEDS',
        });
        // The original invoice itself is untouched.
        const original = await billing.getInvoice(agentInvoice.id);
        assert.equal(original?.subtotal_vnd, 10_800_000);
      }
    },
  );

  onBothEngines(
    'VAT rate is configurable; on-premise amounts and plan minimums are billed',
    async (engine) => {
      const { db, billing } = await setup(engine, 800);
      {
        const onprem = await buildCustomer(db);
        await buildContract(db, {
          customerId: onprem,
          start: '2026-05-10',
          end: '2027-05-09',
          edition: 'on_premise',
          plan: 'cloud_saas_default',
          onpremAmount: 1_234_567_890,
        });
        await insertPlan(db, { code: 'min_plan', name: 'Có phí tối thiểu', customerId: null });
        await insertPlanVersion(db, {
          id: 'ppv_min',
          planCode: 'min_plan',
          effectiveFrom: '2026-01-01',
          tierMode: 'volume',
          tiers: DEFAULT_TIERS,
          minimumMonthlyVnd: 3_000_000,
        });
        const quiet = await buildCustomer(db);
        await buildContract(db, {
          customerId: quiet,
          start: '2026-05-16',
          end: '2026-05-31',
          plan: 'min_plan',
        });
        const silent = await buildCustomer(db);
        await buildContract(db, { customerId: silent, start: '2026-01-01', end: '2026-12-31' });
        const run = await billing.runMonth('2026-05', systemActor);
        assert.equal(run.created, 2, 'a month with zero requests on the default plan costs nothing');
        const rows = await db.query<{
          customer_id: string;
          subtotal_vnd: number;
          vat_vnd: number;
          vat_rate_bp: number;
        }>(
          'SELECT customer_id, subtotal_vnd, vat_vnd, vat_rate_bp FROM invoices WHERE customer_id = ANY($1::text[])',
          [[onprem, quiet, silent]],
        );
        const o = rows.find((r) => r.customer_id === onprem)!;
        assert.deepEqual([o.subtotal_vnd, o.vat_vnd, o.vat_rate_bp], [1_234_567_890, 98_765_431, 800]);
        // 16 of 31 days of a 3,000,000 minimum: 1,548,387.1 → 1,548,387.
        assert.equal(rows.find((r) => r.customer_id === quiet)?.subtotal_vnd, 1_548_387);
      }
    },
  );
});

describe('metering ingestion', () => {
  onBothEngines('a retried request id counts once, singly or in batches', async (engine) => {
    const { db } = await setup(engine);
    const cus = await buildCustomer(db);
    const at = new Date('2026-04-02T09:00:00+07:00');
    const e = { customerId: cus, apiKeyId: 'key_x', requestId: `once-${cus}`, kind: 'verification', at };
    assert.deepEqual(await recordUsage(db, e), { recorded: true });
    assert.deepEqual(await recordUsage(db, e), { recorded: false });
    const batch = events(cus, 50, at, `batch-${cus}`);
    assert.deepEqual(await recordUsageBatch(db, [...batch, ...batch.slice(0, 10), e]), {
      recorded: 50,
      duplicates: 11,
    });
    assert.deepEqual(await recordUsageBatch(db, batch), { recorded: 0, duplicates: 50 });
    const [row] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1',
      [cus],
    );
    assert.equal(row?.n, 51);
  });

  onBothEngines('malformed events are refused with ERR_USAGE_INVALID', async (engine) => {
    const { db } = await setup(engine);
    const good = { customerId: 'cus_x', requestId: 'r-1', kind: 'ocr', at: new Date() };
    for (const bad of [
      { ...good, requestId: '' },
      { ...good, requestId: "x'; DROP TABLE usage_events; --" },
      { ...good, kind: 'Bad Kind' },
      { ...good, at: new Date('nope') },
      { ...good, customerId: 5 as unknown as string },
    ]) {
      await assert.rejects(recordUsage(db, bad), { code: 'ERR_USAGE_INVALID' });
      await assert.rejects(recordUsageBatch(db, [good, bad]), { code: 'ERR_USAGE_INVALID' });
    }
  });
});
