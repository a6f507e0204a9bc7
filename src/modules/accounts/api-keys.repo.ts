import type { Db } from '../../db/client.ts';

export interface ApiKeyRow {
  id: string;
  customer_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: Date;
  created_by: string | null;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  replaced_by: string | null;
}

export async function insertApiKey(
  db: Db,
  k: {
    id: string;
    customerId: string;
    name: string;
    prefix: string;
    keyHash: string;
    createdBy: string | null;
  },
): Promise<ApiKeyRow> {
  const [row] = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, customer_id, name, prefix, key_hash, created_by)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [k.id, k.customerId, k.name, k.prefix, k.keyHash, k.createdBy],
  );
  return row!;
}

export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE key_hash = $1', [keyHash]);
  return row;
}

export async function findApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]);
  return row;
}

export function listApiKeys(db: Db, customerId: string): Promise<ApiKeyRow[]> {
  return db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE customer_id = $1 ORDER BY created_at DESC', [
    customerId,
  ]);
}

export async function revokeApiKey(db: Db, id: string, at: Date): Promise<void> {
  await db.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at]);
}

export async function expireApiKey(db: Db, id: string, at: Date, replacedBy: string): Promise<void> {
  await db.query('UPDATE api_keys SET expires_at = $2, replaced_by = $3 WHERE id = $1', [id, at, replacedBy]);
}

export async function touchApiKey(db: Db, id: string, at: Date): Promise<void> {
  await db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, at]);
}
