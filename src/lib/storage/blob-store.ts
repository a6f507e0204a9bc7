import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where the service keeps files (signed contract PDFs …). Keys are opaque `[a-z0-9_/-]` paths chosen by
 * the service, never user input. Local disk is the default; an S3-compatible store implements the same
 * interface later.
 */
export interface BlobStore {
  put(key: string, data: Uint8Array): Promise<void>;
  /** `undefined` when the key does not exist. Throws when the stored bytes fail authentication. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
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

/** Encrypted files under `dir` (default `config.dataDir/files`). Writes are atomic (temp file + rename). */
export function createLocalBlobStore(opts: { dir: string; masterKey: Buffer }): BlobStore {
  const file = (key: string) => path.join(opts.dir, ...checkKey(key).split('/'));
  return {
    async put(key, data) {
      const target = file(key);
      await mkdir(path.dirname(target), { recursive: true });
      const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, encryptBlob(opts.masterKey, key, data), { mode: 0o600 });
      await rename(tmp, target);
    },
    async get(key) {
      let raw: Buffer;
      try {
        raw = await readFile(file(key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      return decryptBlob(opts.masterKey, key, raw);
    },
    async delete(key) {
      await rm(file(key), { force: true });
    },
  };
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
