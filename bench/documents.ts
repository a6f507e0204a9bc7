/**
 * `npm run bench -- documents [--runs 7]`: median warm front+back read of a moderately degraded chip
 * CCCD, engine vs baseline (plain tesseract `vie` on both whole photos + regex), same run; RSS with
 * all document models loaded.
 */

import { loadZxing } from '../src/ekyc/document/barcode.ts';
import { baselineRead, baselineWorker } from '../src/ekyc/document/baseline.ts';
import { getOcr } from '../src/ekyc/document/ocr.ts';
import { readDocument } from '../src/ekyc/document/reader.ts';
import { photograph, randomPerson, renderCard } from '../test/fixtures/cards/render.ts';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

export async function run(args: string[]) {
  const i = args.indexOf('--runs');
  const runs = i >= 0 ? Number(args[i + 1]) : 7;
  let t = performance.now();
  await Promise.all([getOcr(), loadZxing()]);
  const loadMs = performance.now() - t;
  const rssEngine = process.memoryUsage().rss;
  await baselineWorker();
  const pairs = [];
  for (let k = 0; k < runs + 1; k++) {
    const p = randomPerson(9000 + k, 'cccd_chip');
    pairs.push({
      front: (await photograph(await renderCard(p, 'cccd_chip', 'front'), 'moderate', 500 + k)).image,
      back: (await photograph(await renderCard(p, 'cccd_chip', 'back'), 'moderate', 600 + k)).image,
    });
  }
  const now = new Date('2026-11-24T00:00:00Z');
  const ours: number[] = [];
  const base: number[] = [];
  let peak = 0;
  let failures = 0;
  const stages: Record<string, number[]> = {};
  // First pair warms both up; then engine and baseline alternate on the same inputs.
  for (const [k, pair] of pairs.entries()) {
    t = performance.now();
    try {
      const r = await readDocument({ front: pair.front, back: pair.back, now });
      if (k > 0) {
        for (const [name, ms] of Object.entries(r.timings_ms)) {
          stages[name] ??= [];
          stages[name].push(ms);
        }
      }
    } catch {
      failures++;
    }
    const a = performance.now() - t;
    peak = Math.max(peak, process.memoryUsage().rss);
    t = performance.now();
    await baselineRead(pair.front);
    await baselineRead(pair.back);
    const b = performance.now() - t;
    if (k > 0) {
      ours.push(a);
      base.push(b);
    }
  }
  const mo = median(ours);
  const mb = median(base);
  console.log('| read (front + back, warm) | median ms | ratio |');
  console.log('|---|---|---|');
  console.log(`| engine | ${mo.toFixed(0)} | 1.00 |`);
  console.log(
    `| baseline (whole-image tesseract vie + regex) | ${mb.toFixed(0)} | ${(mb / mo).toFixed(2)} |`,
  );
  // Stage times overlap (both sides run at once, OCR runs in workers): they locate the time, they do not add up.
  console.log('\n| stage (ms, median) | front | back |');
  console.log('|---|---|---|');
  const names = new Set(Object.keys(stages).map((n) => n.replace(/^(front|back)_/, '')));
  for (const n of names) {
    const cell = (side: string) => {
      const xs = stages[side ? `${side}_${n}` : n];
      return xs ? median(xs).toFixed(0) : '';
    };
    console.log(stages[n] ? `| ${n} | ${cell('')} | |` : `| ${n} | ${cell('front')} | ${cell('back')} |`);
  }
  console.log(`\nruns: ${ours.length} (engine refused ${failures}); model load ${loadMs.toFixed(0)} ms`);
  console.log(
    `RSS with engine models loaded: ${(rssEngine / 1e6).toFixed(0)} MB; peak during reads (baseline worker also loaded): ${(peak / 1e6).toFixed(0)} MB`,
  );
  await (await getOcr()).terminate();
  await (await baselineWorker()).terminate();
}
