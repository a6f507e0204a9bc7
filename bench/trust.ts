/**
 * `npm run bench -- trust`: what personal-data protection costs, measured side by side in one run.
 *  1. sealing/opening a 1 MB image: envelope (per-customer data key) vs master-key only vs a copy;
 *  2. the guarded JSON parser (depth + NUL checks) vs plain JSON.parse on a 100 kB body;
 *  3. blob put/get of 300 kB: local disk vs S3 (s3rver on loopback, in process);
 *  4. master key rotation: re-wrapping N data keys on PGlite.
 * Prints medians; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPglite } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { containsNul, jsonDepthExceeds, MAX_JSON_DEPTH } from '../src/http/input.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createEnvelope } from '../src/lib/crypto/envelope.ts';
import {
  createDiskStore,
  createEncryptedStore,
  createS3Store,
  decryptBlob,
  encryptBlob,
} from '../src/lib/storage/blob-store.ts';
import { createS3Client } from '../src/lib/storage/s3.ts';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function time(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(3, n); i++) await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2));

/** The first row is the baseline. */
function table(title: string, rows: Array<[string, number]>) {
  const baseline = rows[0]![1];
  console.log(`\n### ${title}\n`);
  console.log('| variant | median ms | × baseline |');
  console.log('|---|---:|---:|');
  for (const [name, ms] of rows) console.log(`| ${name} | ${fmt(ms)} | ${(ms / baseline).toFixed(2)} |`);
}

interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

export async function run(args: string[]) {
  const n = Number(args[0] ?? 60);
  const db = await openPglite();
  await migrate(db);
  const master = randomBytes(32);
  const envelope = createEnvelope({ db, keyring: { current: master, previous: [] }, clock: systemClock });

  // 1. Sealing an image.
  const image = randomBytes(1024 * 1024);
  const sealed = await envelope.seal('cus_bench', 'blob:x', image);
  const legacy = encryptBlob(master, 'x', image);
  table(`1 MB image, ${n} runs each`, [
    ['copy (no encryption)', await time(n, () => Buffer.from(image))],
    ['master key only: encrypt', await time(n, () => encryptBlob(master, 'x', image))],
    ['master key only: decrypt', await time(n, () => decryptBlob(master, 'x', legacy))],
    ['envelope (data key, cached): seal', await time(n, () => envelope.seal('cus_bench', 'blob:x', image))],
    ['envelope (data key, cached): open', await time(n, () => envelope.open('blob:x', sealed))],
    [
      'envelope, cache cold (key read + unwrap): open',
      await time(n, async () => {
        envelope.clearCache();
        await envelope.open('blob:x', sealed);
      }),
    ],
  ]);

  // 2. JSON parsing of every request body.
  const body = JSON.stringify({
    items: Array.from({ length: 800 }, (_, i) => ({
      id: `x_${i}`,
      name: 'Nguyễn Văn An',
      n: i,
      tags: ['a', 'b'],
    })),
  });
  const plain = await time(n * 10, () => JSON.parse(body));
  table(`JSON body of ${Math.round(body.length / 1024)} kB, ${n * 10} runs each`, [
    ['JSON.parse', plain],
    [
      'depth scan + JSON.parse + NUL scan (src/http/input.ts)',
      await time(n * 10, () => {
        jsonDepthExceeds(body, MAX_JSON_DEPTH);
        containsNul(JSON.parse(body));
      }),
    ],
  ]);

  // 3. Local disk vs S3.
  const dir = await mkdtemp(path.join(tmpdir(), 'ekyc-bench-trust-'));
  const S3rver = createRequire(import.meta.url)('s3rver') as new (o: Record<string, unknown>) => S3rverServer;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: path.join(dir, 's3'),
    configureBuckets: [{ name: 'bench', configs: [] }],
  });
  try {
    const { port } = await server.run();
    const disk = createEncryptedStore({
      raw: createDiskStore(path.join(dir, 'disk')),
      masterKeys: [master],
      envelope,
    });
    const s3 = createEncryptedStore({
      raw: createS3Store(
        createS3Client({
          endpoint: `http://127.0.0.1:${port}`,
          region: 'us-east-1',
          bucket: 'bench',
          prefix: 'files',
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
        }),
      ),
      masterKeys: [master],
      envelope,
    });
    const photo = randomBytes(300 * 1024);
    let i = 0;
    const diskPut = await time(n, () =>
      disk.put(`sessions/ses_${i++}/selfie`, photo, { owner: 'cus_bench' }),
    );
    table(`300 kB blob, ${n} runs each`, [
      ['local disk: put', diskPut],
      ['local disk: get', await time(n, () => disk.get('sessions/ses_1/selfie'))],
      [
        'S3 (s3rver, loopback): put',
        await time(n, () => s3.put(`sessions/ses_${i++}/selfie`, photo, { owner: 'cus_bench' })),
      ],
      ['S3 (s3rver, loopback): get', await time(n, () => s3.get(`sessions/ses_${i - 1}/selfie`))],
    ]);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }

  // 4. Master key rotation.
  const keys = Number(args[1] ?? 1000);
  for (let k = 0; k < keys; k++) await envelope.seal(`cus_${k}`, 'c', image.subarray(0, 16));
  const next = createEnvelope({
    db,
    keyring: { current: randomBytes(32), previous: [master] },
    clock: systemClock,
  });
  const t0 = performance.now();
  const result = await next.rewrapAll();
  const total = performance.now() - t0;
  console.log(`\n### Master key rotation on PGlite\n`);
  console.log('| data keys | re-wrapped | total ms | ms per key |');
  console.log('|---:|---:|---:|---:|');
  console.log(
    `| ${keys + 1} | ${result.rewrapped} | ${total.toFixed(0)} | ${(total / result.rewrapped).toFixed(2)} |`,
  );
  await db.close();
}
