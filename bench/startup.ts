import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, stopService } from '../test/service.ts';

/** Time from process spawn to "ready" (listening, migrated, seeded), first start and restart, with RSS. */
export async function run(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 3);
  const rows: Array<{ kind: string; ms: number[]; rss: number[] }> = [
    { kind: 'first start (empty ./data)', ms: [], rss: [] },
    { kind: 'restart (existing ./data)', ms: [], rss: [] },
  ];
  for (let i = 0; i < rounds; i++) {
    const dir = await mkdtemp(path.join(tmpdir(), 'ekyc-bench-'));
    try {
      for (const row of rows) {
        const t0 = performance.now();
        const s = await startService({ DATA_DIR: dir, LOG_LEVEL: 'info' });
        row.ms.push(performance.now() - t0);
        const metrics = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
        row.rss.push(Number(/process_resident_memory_bytes (\d+)/.exec(metrics)?.[1] ?? 0) / 2 ** 20);
        await stopService(s);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log('| start | median to ready (s) | RSS at ready (MiB) | runs |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.kind} | ${(median(r.ms) / 1000).toFixed(2)} | ${median(r.rss).toFixed(0)} | ${r.ms.length} |`,
    );
  }
}
