import type { Db } from '../../db/client.ts';

export interface ChallengeRow {
  id: string;
  customer_id: string;
  actions: string[];
  nonce: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export async function insertChallenge(
  db: Db,
  c: {
    id: string;
    customerId: string;
    apiKeyId: string;
    actions: string[];
    nonce: string;
    now: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO liveness_challenges (id, customer_id, api_key_id, actions, nonce, created_at, expires_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)`,
    [c.id, c.customerId, c.apiKeyId, JSON.stringify(c.actions), c.nonce, c.now, c.expiresAt],
  );
}

export async function findChallenge(
  db: Db,
  customerId: string,
  id: string,
): Promise<ChallengeRow | undefined> {
  const [row] = await db.query<ChallengeRow>(
    `SELECT id, customer_id, actions, nonce, created_at, expires_at, used_at
     FROM liveness_challenges WHERE id = $1 AND customer_id = $2`,
    [id, customerId],
  );
  return row;
}

/** Marks the challenge used; false when another request used it first (single use). */
export async function claimChallenge(db: Db, id: string, now: Date): Promise<boolean> {
  const rows = await db.query(
    'UPDATE liveness_challenges SET used_at = $2 WHERE id = $1 AND used_at IS NULL RETURNING id',
    [id, now],
  );
  return rows.length > 0;
}

export async function saveVerdict(
  db: Db,
  id: string,
  live: boolean,
  score: number,
  checks: unknown,
): Promise<void> {
  await db.query('UPDATE liveness_challenges SET live = $2, score = $3, checks = $4::jsonb WHERE id = $1', [
    id,
    live,
    score,
    JSON.stringify(checks),
  ]);
}

/** Records frame fingerprints; returns how many had been seen before (a replayed capture). */
export async function recordFrameHashes(
  db: Db,
  challengeId: string,
  hashes: string[],
  now: Date,
): Promise<number> {
  const unique = [...new Set(hashes)];
  const seen = await db.query<{ hash: string }>(
    'SELECT hash FROM liveness_frame_hashes WHERE hash = ANY($1::text[])',
    [unique],
  );
  const fresh = unique.filter((h) => !seen.some((s) => s.hash === h));
  for (const h of fresh) {
    await db.query(
      'INSERT INTO liveness_frame_hashes (hash, challenge_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [h, challengeId, now],
    );
  }
  return seen.length;
}
