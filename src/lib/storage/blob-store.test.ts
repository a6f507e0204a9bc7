import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, onBothEngines } from '../../../test/db.ts';
import { loadConfig } from '../../config.ts';
import type { Database } from '../../db/client.ts';
import { fixedClock } from '../clock.ts';
import { CryptoError, createEnvelope } from '../crypto/envelope.ts';
import {
  blobStoreFor,
  createDiskStore,
  createEncryptedStore,
  createLocalBlobStore,
  encryptBlob,
} from './blob-store.ts';
import { createS3Client, S3Error, signV4 } from './s3.ts';

/** The part of s3rver (a dev dependency without bundled types) this test uses. */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (
  opts: Record<string, unknown>,
) => S3rverServer;

const clock = fixedClock('2026-11-24T03:00:00Z');
const portrait = Buffer.concat([
  Buffer.from('\xff\xd8\xff\xe0JFIF Nguyễn Thị Bình 079190001234'),
  randomBytes(2000),
]);

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

async function assertNoPlaintext(dir: string) {
  const marker = Buffer.from('Nguyễn Thị Bình');
  const files = await filesUnder(dir);
  assert.ok(files.length > 0, `nothing stored under ${dir}`);
  for (const f of files) assert.ok(!(await readFile(f)).includes(marker), `${f} holds plaintext`);
}

test('AWS Signature V4 matches the published S3 example (GET object with Range)', () => {
  // "Example: GET Object" of the AWS S3 SigV4 documentation.
  const headers = signV4({
    method: 'GET',
    url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
    headers: { range: 'bytes=0-9' },
    payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    region: 'us-east-1',
    now: new Date('2013-05-24T00:00:00Z'),
  });
  assert.equal(
    headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
      'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
      'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
});

/** One PGlite database for the whole file (owners differ per test). */
const pgliteDb: Promise<Database> = freshDatabase('pglite');
after(async () => (await pgliteDb).close());

describe('local disk store', () => {
  let dir: string;
  let db: Database;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ekyc-blobs-'));
    db = await pgliteDb;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a customer blob is sealed under its data key, listed, read back and deleted', async () => {
    const envelope = createEnvelope({ db, keyring: { current: randomBytes(32), previous: [] }, clock });
    const store = createLocalBlobStore({ dir, masterKey: randomBytes(32), envelope });
    await store.put('sessions/ses_1/selfie', portrait, { owner: 'cus_a' });
    await store.put('sessions/ses_1/front', portrait, { owner: 'cus_a' });
    await store.put('sessions/ses_2/front', portrait, { owner: 'cus_b' });
    await assertNoPlaintext(dir);
    assert.equal((await stat(path.join(dir, 'sessions/ses_1/selfie'))).mode & 0o777, 0o600);
    assert.deepEqual(await store.get('sessions/ses_1/selfie'), portrait);
    assert.deepEqual(await store.list('sessions/ses_1/'), ['sessions/ses_1/front', 'sessions/ses_1/selfie']);
    await store.delete('sessions/ses_1/selfie');
    assert.equal(await store.get('sessions/ses_1/selfie'), undefined);

    // Crypto-shredding cus_a: its remaining file is unreadable, cus_b's is not.
    await envelope.shred('cus_a');
    await assert.rejects(
      store.get('sessions/ses_1/front'),
      (e: unknown) => e instanceof CryptoError && e.reason === 'shredded',
    );
    assert.deepEqual(await store.get('sessions/ses_2/front'), portrait);
  });

  test('files written before data keys (master-key format) still open, also after a master key change', async () => {
    const oldMaster = randomBytes(32);
    const raw = createDiskStore(dir);
    await raw.put(
      'contracts/ctr_1/signed.pdf',
      encryptBlob(oldMaster, 'contracts/ctr_1/signed.pdf', portrait),
    );
    const envelope = createEnvelope({
      db,
      keyring: { current: randomBytes(32), previous: [oldMaster] },
      clock,
    });
    const store = createEncryptedStore({ raw, masterKeys: [randomBytes(32), oldMaster], envelope });
    assert.deepEqual(await store.get('contracts/ctr_1/signed.pdf'), portrait);
    // A blob moved to another key does not open (the key is bound as associated data).
    await raw.put('contracts/ctr_2/signed.pdf', (await raw.get('contracts/ctr_1/signed.pdf'))!);
    await assert.rejects(store.get('contracts/ctr_2/signed.pdf'));
  });

  test('keys that could escape the directory are refused', async () => {
    const store = createLocalBlobStore({ dir, masterKey: randomBytes(32) });
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'A/B', 'a\u0000b']) {
      await assert.rejects(store.put(bad, portrait), RangeError, bad);
      await assert.rejects(store.get(bad), RangeError, bad);
    }
  });
});

/** A real S3-compatible server (s3rver) on loopback, in this process. */
describe('S3-compatible store', () => {
  let server: S3rverServer;
  let dir: string;
  let endpoint: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ekyc-s3-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'ekyc-test', configs: [] }],
    });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const credentials = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

  onBothEngines(
    'STORAGE_URL=s3://… stores sealed blobs in the bucket and reads them back',
    async (engine) => {
      // PGlite: the local-disk tests' database; PostgreSQL: a fresh one.
      const db = engine === 'pglite' ? await pgliteDb : await freshDatabase(engine);
      try {
        const config = loadConfig({
          NODE_ENV: 'test',
          STORAGE_URL: `s3://ekyc-test/tenant-files?endpoint=${encodeURIComponent(endpoint)}&region=ap-southeast-1`,
          EKYC_MASTER_KEY: randomBytes(32).toString('hex'),
          DATA_DIR: path.join(dir, 'unused'),
        });
        const store = await blobStoreFor({ config, db, clock, env: credentials });
        const prefix = `sessions/ses_${engine}/`;
        await store.put(`${prefix}selfie`, portrait, { owner: `cus_s3_${engine}` });
        await store.put(`${prefix}chip/dg2`, portrait, { owner: `cus_s3_${engine}` });
        assert.deepEqual(await store.get(`${prefix}selfie`), portrait);
        assert.deepEqual(await store.list(prefix), [`${prefix}chip/dg2`, `${prefix}selfie`]);
        await assertNoPlaintext(dir);
        await store.delete(`${prefix}selfie`);
        assert.equal(await store.get(`${prefix}selfie`), undefined);
        assert.deepEqual(await store.list(prefix), [`${prefix}chip/dg2`]);
      } finally {
        if (engine !== 'pglite') await db.close();
      }
    },
  );

  test('an unknown access key is refused by the server, and a missing bucket is an error', async () => {
    const wrong = createS3Client({
      endpoint,
      region: 'us-east-1',
      bucket: 'ekyc-test',
      prefix: '',
      accessKeyId: 'NOT-A-KEY',
      secretAccessKey: 'x',
    });
    await assert.rejects(wrong.put('x', portrait), (e: unknown) => e instanceof S3Error && e.status === 403);
    const missing = createS3Client({
      endpoint,
      region: 'us-east-1',
      bucket: 'no-such-bucket',
      prefix: '',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    await assert.rejects(
      missing.put('x', portrait),
      (e: unknown) => e instanceof S3Error && e.status === 404,
    );
  });
});
