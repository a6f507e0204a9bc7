import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../ids.ts';

/**
 * Envelope encryption. Every owner (a customer id, or `SYSTEM_OWNER` for the service's own files) has
 * one active AES-256 data key; data is sealed with AES-256-GCM under that key, and the data key is
 * stored only wrapped (AES-256-GCM) by the master key. Consequences:
 *  - rotating the master key re-wraps a few hundred 32-byte keys, never re-encrypts the data;
 *  - destroying an owner's data keys (crypto-shredding) makes all its data unreadable at once,
 *    wherever copies of the ciphertext live (backups, S3 versions).
 *
 * Sealed format: `EKE1 | len(1) | data key id | iv(12) | tag(16) | ciphertext`; the associated data
 * binds the data key id and the caller's context (e.g. the blob key), so a ciphertext moved to
 * another record does not open.
 */
export const SYSTEM_OWNER = '_system';
const MAGIC = Buffer.from('EKE1');

export class CryptoError extends Error {
  readonly reason: 'shredded' | 'unknown_key' | 'master_key_missing' | 'corrupt';
  constructor(reason: CryptoError['reason'], message: string) {
    super(message);
    this.name = 'CryptoError';
    this.reason = reason;
  }
}

/** The master keys this process holds: the current one wraps, the previous ones only unwrap. */
export interface MasterKeyring {
  current: Buffer;
  previous: Buffer[];
}

/** A stable, non-secret name for a master key (HMAC of a constant): tells which key wrapped a data key. */
export function masterKeyId(key: Buffer): string {
  return `mk_${createHmac('sha256', key).update('ekyc master key id v1').digest('hex').slice(0, 16)}`;
}

function gcmSeal(key: Buffer, aad: Buffer, plain: Uint8Array): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function gcmOpen(key: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < 28) throw new CryptoError('corrupt', 'Ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
  } catch {
    throw new CryptoError('corrupt', 'Ciphertext failed authentication');
  }
}

export function wrapDataKey(master: Buffer, keyId: string, dataKey: Buffer): Buffer {
  return gcmSeal(master, Buffer.from(`data-key:${keyId}`), dataKey);
}

export function unwrapDataKey(master: Buffer, keyId: string, wrapped: Buffer): Buffer {
  return gcmOpen(master, Buffer.from(`data-key:${keyId}`), wrapped);
}

/** True when `blob` was sealed by an envelope (as opposed to the older master-key-only format). */
export function isSealed(blob: Uint8Array): boolean {
  return blob.length > 5 && Buffer.from(blob.subarray(0, 4)).equals(MAGIC);
}

/** The data key id a sealed blob names, without opening it. */
export function sealedKeyId(blob: Uint8Array): string {
  const buf = Buffer.from(blob);
  if (!isSealed(buf)) throw new CryptoError('corrupt', 'Not a sealed blob');
  const len = buf[4]!;
  if (buf.length < 5 + len + 28) throw new CryptoError('corrupt', 'Sealed blob too short');
  return buf.subarray(5, 5 + len).toString('ascii');
}

interface KeyRow {
  id: string;
  owner: string;
  wrapped_key: Buffer | Uint8Array | null;
  master_key_id: string;
  status: 'active' | 'retired' | 'destroyed';
}

export interface Envelope {
  /** Seals `plain` under `owner`'s active data key (created on first use). */
  seal(owner: string, context: string, plain: Uint8Array): Promise<Buffer>;
  /** Opens a sealed blob; throws `CryptoError('shredded')` when its data key was destroyed. */
  open(context: string, sealed: Uint8Array): Promise<Buffer>;
  /** Destroys every data key of `owner` (crypto-shredding). Returns how many keys were destroyed. */
  shred(owner: string): Promise<number>;
  /** Retires `owner`'s active key so that new data gets a fresh one; old data still opens. */
  rotateDataKey(owner: string): Promise<void>;
  /** Re-wraps every data key not yet wrapped by the current master key. Safe to run while serving. */
  rewrapAll(): Promise<{ rewrapped: number; alreadyCurrent: number; unreadable: string[] }>;
  /** Forgets cached plaintext data keys (another process may have shredded or rotated). */
  clearCache(): void;
}

/**
 * Plaintext data keys are cached per process for `cacheTtlMs` (default 60 s): a shred in another
 * process takes effect here within that time; in this process at once.
 */
export function createEnvelope(deps: {
  db: Db;
  keyring: MasterKeyring;
  clock: Clock;
  cacheTtlMs?: number;
}): Envelope {
  const { db, keyring, clock } = deps;
  const ttl = deps.cacheTtlMs ?? 60_000;
  const currentId = masterKeyId(keyring.current);
  const masters = new Map<string, Buffer>([[currentId, keyring.current]]);
  for (const k of keyring.previous) masters.set(masterKeyId(k), k);
  const cache = new Map<string, { key: Buffer; until: number }>();
  const activeByOwner = new Map<string, { id: string; until: number }>();

  function unwrapRow(row: KeyRow): Buffer {
    if (row.status === 'destroyed' || !row.wrapped_key) {
      throw new CryptoError('shredded', 'The data key was destroyed');
    }
    const master = masters.get(row.master_key_id);
    if (!master) {
      throw new CryptoError(
        'master_key_missing',
        `Data key ${row.id} is wrapped by master key ${row.master_key_id}, which this process does not hold (set EKYC_MASTER_KEY_PREVIOUS)`,
      );
    }
    return unwrapDataKey(master, row.id, Buffer.from(row.wrapped_key));
  }

  async function dataKey(id: string): Promise<Buffer> {
    const now = Date.now();
    const hit = cache.get(id);
    if (hit && hit.until > now) return hit.key;
    const [row] = await db.query<KeyRow>('SELECT * FROM data_keys WHERE id = $1', [id]);
    if (!row) throw new CryptoError('unknown_key', 'Unknown data key');
    const key = unwrapRow(row);
    cache.set(id, { key, until: now + ttl });
    return key;
  }

  async function activeKey(owner: string): Promise<{ id: string; key: Buffer }> {
    const now = Date.now();
    const hit = activeByOwner.get(owner);
    if (hit && hit.until > now) return { id: hit.id, key: await dataKey(hit.id) };
    let [row] = await db.query<KeyRow>(`SELECT * FROM data_keys WHERE owner = $1 AND status = 'active'`, [
      owner,
    ]);
    if (!row) {
      const [shredded] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM data_keys WHERE owner = $1 AND status = 'destroyed'`,
        [owner],
      );
      // A shredded owner stays shredded: new data for it is refused, not silently keyed anew
      // (`rotateDataKey` is the explicit way back, e.g. for a returning customer).
      if ((shredded?.n ?? 0) > 0) {
        throw new CryptoError('shredded', 'This owner’s data keys were destroyed');
      }
      const id = newId('dk');
      const key = randomBytes(32);
      await db.query(
        `INSERT INTO data_keys (id, owner, wrapped_key, master_key_id, status, created_at)
         VALUES ($1, $2, $3, $4, 'active', $5)
         ON CONFLICT (owner) WHERE status = 'active' DO NOTHING`,
        [id, owner, wrapDataKey(keyring.current, id, key), currentId, clock.now()],
      );
      // Another process may have won the race: use whichever key is active now.
      [row] = await db.query<KeyRow>(`SELECT * FROM data_keys WHERE owner = $1 AND status = 'active'`, [
        owner,
      ]);
      if (!row) throw new CryptoError('unknown_key', 'No active data key');
    }
    const key = unwrapRow(row);
    cache.set(row.id, { key, until: now + ttl });
    activeByOwner.set(owner, { id: row.id, until: now + ttl });
    return { id: row.id, key };
  }

  const aadOf = (keyId: string, context: string) => Buffer.from(`${keyId}\n${context}`);

  return {
    async seal(owner, context, plain) {
      const { id, key } = await activeKey(owner);
      const idBytes = Buffer.from(id, 'ascii');
      return Buffer.concat([
        MAGIC,
        Buffer.from([idBytes.length]),
        idBytes,
        gcmSeal(key, aadOf(id, context), plain),
      ]);
    },

    async open(context, sealed) {
      const id = sealedKeyId(sealed);
      const key = await dataKey(id);
      const buf = Buffer.from(sealed);
      return gcmOpen(key, aadOf(id, context), buf.subarray(5 + buf[4]!));
    },

    async shred(owner) {
      const rows = await db.query<{ id: string }>(
        `UPDATE data_keys SET wrapped_key = NULL, status = 'destroyed', destroyed_at = $2
         WHERE owner = $1 AND status <> 'destroyed' RETURNING id`,
        [owner, clock.now()],
      );
      for (const r of rows) cache.delete(r.id);
      activeByOwner.delete(owner);
      return rows.length;
    },

    async rotateDataKey(owner) {
      await db.transaction(async (tx) => {
        await tx.query(`UPDATE data_keys SET status = 'retired' WHERE owner = $1 AND status = 'active'`, [
          owner,
        ]);
        const id = newId('dk');
        await tx.query(
          `INSERT INTO data_keys (id, owner, wrapped_key, master_key_id, status, created_at)
           VALUES ($1, $2, $3, $4, 'active', $5)`,
          [id, owner, wrapDataKey(keyring.current, id, randomBytes(32)), currentId, clock.now()],
        );
      });
      activeByOwner.delete(owner);
    },

    async rewrapAll() {
      let rewrapped = 0;
      const unreadable: string[] = [];
      const [{ n: alreadyCurrent } = { n: 0 }] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM data_keys WHERE status <> 'destroyed' AND master_key_id = $1`,
        [currentId],
      );
      // Batches by id; each key is re-wrapped with a guard on its old master key id, so a concurrent
      // rotation or shred never gets overwritten.
      let after = '';
      for (;;) {
        const rows = await db.query<KeyRow>(
          `SELECT * FROM data_keys WHERE status <> 'destroyed' AND master_key_id <> $1 AND id > $2
           ORDER BY id LIMIT 200`,
          [currentId, after],
        );
        if (rows.length === 0) break;
        for (const row of rows) {
          after = row.id;
          let plain: Buffer;
          try {
            plain = unwrapRow(row);
          } catch {
            unreadable.push(row.id);
            continue;
          }
          const updated = await db.query(
            `UPDATE data_keys SET wrapped_key = $2, master_key_id = $3, rewrapped_at = $4
             WHERE id = $1 AND master_key_id = $5 AND status <> 'destroyed' RETURNING id`,
            [row.id, wrapDataKey(keyring.current, row.id, plain), currentId, clock.now(), row.master_key_id],
          );
          rewrapped += updated.length;
        }
      }
      return { rewrapped, alreadyCurrent, unreadable };
    },

    clearCache() {
      cache.clear();
      activeByOwner.clear();
    },
  };
}
