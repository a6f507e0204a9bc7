import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { type Engine, freshDatabase, onBothEngines } from '../../../test/db.ts';
import { type Database, openPglite } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';
import { fixedClock } from '../clock.ts';
import {
  CryptoError,
  createEnvelope,
  masterKeyId,
  sealedKeyId,
  unwrapDataKey,
  wrapDataKey,
} from './envelope.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const clock = fixedClock('2026-11-24T03:00:00Z');
const secret = Buffer.from('Nguyễn Văn An 001099012345 — ảnh chân dung');

// Tests that do not rotate the master key share one database and master key per engine (their owners differ).
const sharedKeyring = { current: randomBytes(32), previous: [] as Buffer[] };
const shared = new Map<Engine, Promise<Database>>();
function sharedDb(engine: Engine): Promise<Database> {
  let db = shared.get(engine);
  if (!db) {
    db = freshDatabase(engine);
    shared.set(engine, db);
  }
  return db;
}
after(async () => {
  for (const db of shared.values()) await (await db).close();
});

async function rejectsWith(p: Promise<unknown>, reason: CryptoError['reason']) {
  await assert.rejects(p, (err: unknown) => err instanceof CryptoError && err.reason === reason);
}

test('a wrapped data key opens only with the master key and the key id it was wrapped for', () => {
  const master = randomBytes(32);
  const dk = randomBytes(32);
  const wrapped = wrapDataKey(master, 'dk_a', dk);
  assert.deepEqual(unwrapDataKey(master, 'dk_a', wrapped), dk);
  assert.throws(() => unwrapDataKey(master, 'dk_b', wrapped));
  assert.throws(() => unwrapDataKey(randomBytes(32), 'dk_a', wrapped));
  assert.notEqual(masterKeyId(master), masterKeyId(randomBytes(32)));
});

onBothEngines(
  'sealed data opens again, per owner, and never with another context or after tampering',
  async (engine) => {
    const db = await sharedDb(engine);
    try {
      const env = createEnvelope({ db, keyring: { current: sharedKeyring.current, previous: [] }, clock });
      const a = await env.seal('cus_seal_a', 'blob:x', secret);
      const b = await env.seal('cus_seal_b', 'blob:x', secret);
      assert.ok(!a.includes(secret.subarray(0, 12)), 'plaintext visible in the ciphertext');
      assert.notEqual(sealedKeyId(a), sealedKeyId(b), 'two customers share a data key');
      assert.equal(
        sealedKeyId(await env.seal('cus_seal_a', 'blob:y', secret)),
        sealedKeyId(a),
        'one active key per owner',
      );
      assert.deepEqual(await env.open('blob:x', a), secret);
      await rejectsWith(env.open('blob:other', a), 'corrupt');
      const tampered = Buffer.from(a);
      tampered[tampered.length - 1]! ^= 1;
      await rejectsWith(env.open('blob:x', tampered), 'corrupt');
      const [row] = await db.query<{ wrapped_key: Uint8Array }>(
        'SELECT wrapped_key FROM data_keys WHERE owner = $1',
        ['cus_seal_a'],
      );
      assert.equal(Buffer.from(row!.wrapped_key).length, 12 + 16 + 32, 'only the wrapped key is stored');
    } finally {
      // the shared database is closed after all tests
    }
  },
);

onBothEngines(
  'crypto-shredding a customer makes its data unreadable and leaves others intact',
  async (engine) => {
    const db = await sharedDb(engine);
    try {
      const keyring = sharedKeyring;
      const env = createEnvelope({ db, keyring, clock });
      const other = createEnvelope({ db, keyring, clock, cacheTtlMs: 0 }); // a second process, no cache
      const a = await env.seal('cus_shred_a', 'c', secret);
      const b = await env.seal('cus_shred_b', 'c', secret);
      assert.deepEqual(await other.open('c', a), secret);
      assert.equal(await env.shred('cus_shred_a'), 1);
      await rejectsWith(env.open('c', a), 'shredded');
      await rejectsWith(other.open('c', a), 'shredded');
      await rejectsWith(env.seal('cus_shred_a', 'c', secret), 'shredded');
      assert.deepEqual(await env.open('c', b), secret);
      const rows = await db.query<{ wrapped_key: unknown; status: string }>(
        'SELECT wrapped_key, status FROM data_keys WHERE owner = $1',
        ['cus_shred_a'],
      );
      assert.deepEqual(rows, [{ wrapped_key: null, status: 'destroyed' }]);
      // A returning customer gets a fresh key explicitly; the old data stays gone.
      await env.rotateDataKey('cus_shred_a');
      assert.deepEqual(await env.open('c', await env.seal('cus_shred_a', 'c', secret)), secret);
      await rejectsWith(env.open('c', a), 'shredded');
    } finally {
      // the shared database is closed after all tests
    }
  },
);

onBothEngines(
  'master key rotation: old and new keys both open during the switch, then only the new one',
  async (engine) => {
    const db = await freshDatabase(engine);
    try {
      const oldKey = randomBytes(32);
      const newKey = randomBytes(32);
      const before = createEnvelope({ db, keyring: { current: oldKey, previous: [] }, clock });
      const sealed = await Promise.all(['cus_a', 'cus_b', '_system'].map((o) => before.seal(o, 'c', secret)));
      // A data key rotation leaves a retired key that must be re-wrapped too.
      await before.rotateDataKey('cus_a');
      const retiredToo = await before.seal('cus_a', 'c', secret);

      const during = createEnvelope({ db, keyring: { current: newKey, previous: [oldKey] }, clock });
      for (const s of [...sealed, retiredToo]) assert.deepEqual(await during.open('c', s), secret);
      const result = await during.rewrapAll();
      assert.equal(result.rewrapped, 4);
      assert.deepEqual(result.unreadable, []);
      assert.equal((await during.rewrapAll()).rewrapped, 0, 'idempotent');

      const after = createEnvelope({ db, keyring: { current: newKey, previous: [] }, clock });
      for (const s of [...sealed, retiredToo]) assert.deepEqual(await after.open('c', s), secret);
      const stale = createEnvelope({ db, keyring: { current: oldKey, previous: [] }, clock });
      await rejectsWith(stale.open('c', sealed[0]!), 'master_key_missing');
    } finally {
      await db.close();
    }
  },
);

onBothEngines('two processes creating the first key of an owner at once agree on one key', async (engine) => {
  const db = await sharedDb(engine);
  try {
    const keyring = sharedKeyring;
    const envs = Array.from({ length: 4 }, () => createEnvelope({ db, keyring, clock }));
    const sealed = await Promise.all(envs.map((e) => e.seal('cus_race', 'c', secret)));
    assert.equal(new Set(sealed.map(sealedKeyId)).size, 1);
    for (const e of envs) for (const s of sealed) assert.deepEqual(await e.open('c', s), secret);
  } finally {
    // the shared database is closed after all tests
  }
});

/** `npm run keys:rotate` against a real database directory / server, as an operator runs it. */
onBothEngines('npm run keys:rotate re-wraps every data key with the new master key', async (engine) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ekyc-rotate-'));
  let db: Database | undefined;
  let env: Record<string, string>;
  try {
    if (engine === 'pglite') {
      db = await openPglite(path.join(dir, 'db'));
      await migrate(db);
      env = { DATA_DIR: dir };
    } else {
      db = await freshDatabase('postgres');
      const raw = db.raw as { url: string };
      env = { DATABASE_URL: raw.url, DATA_DIR: dir };
    }
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = createEnvelope({ db, keyring: { current: oldKey, previous: [] }, clock });
    const sealed = await before.seal('cus_a', 'c', secret);
    await before.seal('_system', 'c', secret);
    if (engine === 'pglite') await db.close(); // PGlite: one process per directory
    const childEnv = {
      ...process.env,
      ...env,
      NODE_ENV: 'test',
      EKYC_MASTER_KEY: newKey.toString('hex'),
      EKYC_MASTER_KEY_PREVIOUS: oldKey.toString('hex'),
    };
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'src/lib/crypto/rotate.ts')], {
      env: childEnv,
    });
    assert.match(stdout, /2 data keys re-wrapped/);
    // Without the previous key configured, a second run finds nothing left to do.
    const again = await run(process.execPath, [path.join(ROOT, 'src/lib/crypto/rotate.ts')], {
      env: { ...childEnv, EKYC_MASTER_KEY_PREVIOUS: '' },
    });
    assert.match(again.stdout, /0 data keys re-wrapped, 2 already current/);
    if (engine === 'pglite') db = await openPglite(path.join(dir, 'db'));
    const after = createEnvelope({ db: db!, keyring: { current: newKey, previous: [] }, clock });
    assert.deepEqual(await after.open('c', sealed), secret);
  } finally {
    await db?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
