import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../clock.ts';
import { type Envelope, isSealed, SYSTEM_OWNER } from '../crypto/envelope.ts';
import { envelopeFor, resolveKeyring } from '../crypto/keys.ts';
import { createS3Client, parseStorageUrl, type S3Client } from './s3.ts';

/**
 * Where the service keeps files (signed contract PDFs, document images, chip files …). Keys are opaque
 * `[a-z0-9_/.-]` paths chosen by the service, never user input. Everything is encrypted before it
 * leaves the process: with an envelope, under the owner's data key (a customer's, so that
 * crypto-shredding the customer makes its files unreadable; the service's own otherwise); without
 * one, under the master key (the original format, still read).
 * Two back ends behind one interface: local disk (default) and S3-compatible object storage
 * (`STORAGE_URL=s3://bucket?endpoint=…`).
 */
export interface BlobStore {
  /** `owner`: the customer id the data belongs to (personal data), default the service itself. */
  put(key: string, data: Uint8Array, opts?: { owner?: string }): Promise<void>;
  /** `undefined` when the key does not exist. Throws when the stored bytes fail authentication or were shredded. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix` (whole path segments, e.g. `sessions/ses_x/`). */
  list(prefix: string): Promise<string[]>;
}

/** Raw bytes by key: what a back end (disk, S3) provides; encryption is layered on top. */
export interface RawStore {
  put(key: string, data: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

const KEY = /^[a-z0-9_-]+(?:\/[a-z0-9_.-]+)*$/;
const MAGIC = Buffer.from('EKB1');

function checkKey(key: string): string {
  if (!KEY.test(key) || key.includes('..')) throw new RangeError('Invalid blob key');
  return key;
}

/** AES-256-GCM: `EKB1 | iv(12) | tag(16) | ciphertext`; the blob key is bound as associated data. */
export function encryptBlob(masterKey: Buffer, aad: string, data: Uint8Array): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(data), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
}

export function decryptBlob(masterKey: Buffer, aad: string, blob: Uint8Array): Buffer {
  const buf = Buffer.from(blob);
  if (buf.length < 32 || !buf.subarray(0, 4).equals(MAGIC)) throw new Error('Not an encrypted blob');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, buf.subarray(4, 16));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(buf.subarray(16, 32));
  return Buffer.concat([decipher.update(buf.subarray(32)), decipher.final()]);
}

/** Files under `dir`, written atomically (temp file + rename), mode 0600. */
export function createDiskStore(dir: string): RawStore {
  const file = (key: string) => path.join(dir, ...checkKey(key).split('/'));
  return {
    async put(key, data) {
      const target = file(key);
      await mkdir(path.dirname(target), { recursive: true });
      const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, target);
    },
    async get(key) {
      try {
        return await readFile(file(key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async delete(key) {
      await rm(file(key), { force: true });
    },
    async list(prefix) {
      checkKey(prefix.replace(/\/+$/, '') || 'x');
      const out: string[] = [];
      const walk = async (rel: string) => {
        let entries: import('node:fs').Dirent[];
        try {
          entries = await readdir(path.join(dir, rel), { withFileTypes: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw err;
        }
        for (const e of entries) {
          const key = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(key);
          else if (!e.name.endsWith('.tmp') && key.startsWith(prefix)) out.push(key);
        }
      };
      // Start from the deepest whole directory of the prefix.
      const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      await walk(start);
      return out.sort();
    },
  };
}

/** An S3-compatible bucket (see `s3.ts`). */
export function createS3Store(client: S3Client): RawStore {
  return {
    put: (key, data) => client.put(checkKey(key), data),
    get: (key) => client.get(checkKey(key)),
    delete: (key) => client.delete(checkKey(key)),
    list: (prefix) => client.list(prefix),
  };
}

/**
 * Encryption over a raw store. With `envelope`, new blobs are sealed under the owner's data key;
 * blobs in the older master-key format (`EKB1`) are still read with any of `masterKeys`.
 */
export function createEncryptedStore(opts: {
  raw: RawStore;
  masterKeys: Buffer[];
  envelope?: Envelope | undefined;
}): BlobStore {
  const { raw, envelope } = opts;
  const [master] = opts.masterKeys;
  if (!master) throw new Error('createEncryptedStore needs a master key');
  return {
    async put(key, data, putOpts) {
      checkKey(key);
      const sealed = envelope
        ? await envelope.seal(putOpts?.owner ?? SYSTEM_OWNER, `blob:${key}`, data)
        : encryptBlob(master, key, data);
      await raw.put(key, sealed);
    },
    async get(key) {
      const stored = await raw.get(checkKey(key));
      if (!stored) return undefined;
      if (isSealed(stored)) {
        if (!envelope) throw new Error('Blob sealed with a data key, but no envelope is configured');
        return envelope.open(`blob:${key}`, stored);
      }
      let lastError: unknown;
      for (const k of opts.masterKeys) {
        try {
          return decryptBlob(k, key, stored);
        } catch (err) {
          lastError = err;
        }
      }
      throw lastError;
    },
    delete: (key) => raw.delete(checkKey(key)),
    list: (prefix) => raw.list(prefix),
  };
}

/** Encrypted files under `dir` (default `config.dataDir/files`), in the master-key format unless `envelope` is given. */
export function createLocalBlobStore(opts: {
  dir: string;
  masterKey: Buffer;
  envelope?: Envelope;
}): BlobStore {
  return createEncryptedStore({
    raw: createDiskStore(opts.dir),
    masterKeys: [opts.masterKey],
    envelope: opts.envelope,
  });
}

/**
 * The configured store: local disk in `dataDir/files`, or S3 when `STORAGE_URL` is set; sealed with
 * per-owner data keys. Modules call this from their route module with `ctx.config`, `ctx.db`, `ctx.clock`.
 */
export async function blobStoreFor(deps: {
  config: Pick<Config, 'masterKey' | 'masterKeyPrevious' | 'dataDir' | 'storageUrl'>;
  db: Db;
  clock: Clock;
  env?: Record<string, string | undefined>;
}): Promise<BlobStore> {
  const keyring = await resolveKeyring(deps.config);
  const raw = deps.config.storageUrl
    ? createS3Store(createS3Client(parseStorageUrl(deps.config.storageUrl, deps.env ?? process.env)))
    : createDiskStore(path.join(deps.config.dataDir, 'files'));
  return createEncryptedStore({
    raw,
    masterKeys: [keyring.current, ...keyring.previous],
    envelope: await envelopeFor(deps),
  });
}

/**
 * The master key: `EKYC_MASTER_KEY` when set, else a random key kept in `dataDir/master.key` (created on
 * first start with mode 0600). Losing that file makes stored files unreadable: back it up with the data.
 */
export async function resolveMasterKey(opts: {
  masterKey: Buffer | undefined;
  dataDir: string;
}): Promise<Buffer> {
  if (opts.masterKey) return opts.masterKey;
  const keyFile = path.join(opts.dataDir, 'master.key');
  try {
    const existing = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'hex');
    if (existing.length === 32) return existing;
    throw new Error(`${keyFile} does not hold a 32-byte hex key`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(opts.dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    await writeFile(keyFile, key.toString('hex'), { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveMasterKey(opts);
    throw err;
  }
}
