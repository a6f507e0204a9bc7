/**
 * `npm run bench -- support [n]`: the desk at volume on embedded PGlite. Seeds n open requests over
 * three months (default 2000), then times the SLA breach scan (job), the live breach list, the
 * report and one page of the list, median of 3 runs each. Prints a table; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { elapsedMs } from '../src/modules/support/sla.ts';
import { supportServiceFor } from '../src/modules/support/support.routes.ts';
import { createTestApp } from '../test/app.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(args: string[]) {
  const n = Number(args[0] ?? 2000);
  const t = await createTestApp({ now: '2026-11-24T03:00:00Z' });
  try {
    const start = Date.parse('2026-08-24T01:00:00Z');
    const span = Date.parse('2026-11-24T03:00:00Z') - start;
    const queues = ['technical', 'consulting'];
    const prios = ['low', 'normal', 'high', 'urgent'];
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < n; i++) {
        const at = new Date(start + Math.floor((span * i) / n));
        const q = queues[i % 2]!;
        await tx.query(
          `INSERT INTO support_requests (id, customer_id, queue, hotline, category, priority, channel, status, subject, description,
             created_by_type, received_at, sla_running_since, updated_at)
           VALUES ($1, 'cus_demobank', $2, $3, $4, $5, 'portal', 'in_progress', 's', 'd', 'user', $6, $6, $6)`,
          [
            `sup_bench${i}`,
            q,
            q === 'technical' ? '0896151617' : '0936110116',
            `cat${i % 5}`,
            prios[i % 4]!,
            at,
          ],
        );
      }
    });
    const service = supportServiceFor(t.ctx);
    const cal = await service.calendar();
    const v = await service.viewerFor({
      id: 'usr_support',
      email: 'support@ekyc.local',
      fullName: 'x',
      role: 'support_agent',
      unitId: null,
      customerId: null,
      mustChangePassword: false,
    });
    const time = async (f: () => Promise<unknown>, runs = 3) => {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await f();
        ms.push(performance.now() - t0);
      }
      return median(ms);
    };
    const rows: Array<[string, number]> = [];
    const now = t.clock.now();
    rows.push([
      `working-time elapsed ×${n} (calendar only)`,
      await time(async () => {
        for (let i = 0; i < n; i++)
          elapsedMs({ activeMs: 0, runningSince: new Date(start + (span * i) / n) }, now, cal);
      }),
    ]);
    rows.push([`breach list (live, ${n} open)`, await time(() => service.breaches(v))]);
    rows.push(['SLA scan job, first run (flags + escalations)', await time(() => service.scanSla(), 1)]);
    rows.push(['SLA scan job, rerun (nothing new)', await time(() => service.scanSla())]);
    rows.push([
      'report, 3 months',
      await time(() =>
        import('../src/modules/support/reports.ts').then((m) =>
          m.supportReport(t.db, v, { from: new Date(start), to: new Date(start + span + 1) }),
        ),
      ),
    ]);
    rows.push(['list, first page of 100', await time(() => service.list(v, { limit: 100, offset: 0 }))]);
    console.log(`| operation (n = ${n}) | median ms |\n|---|---:|`);
    for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(1)} |`);
  } finally {
    await t.close();
  }
}
