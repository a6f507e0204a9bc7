import type { Db } from '../../db/client.ts';
import { DEFAULT_RULES, type DecisionRules, mergeRules, type RulesPatch } from './rules.ts';

export interface RulesVersion {
  version: number;
  rules: DecisionRules;
  created_at: string | null;
}

/** The version in force for a customer (version 0 = the defaults, never stored). */
export async function currentRules(db: Db, customerId: string): Promise<RulesVersion> {
  const [row] = await db.query<{ version: number; rules: RulesPatch; created_at: Date }>(
    'SELECT version, rules, created_at FROM decision_rules WHERE customer_id = $1 ORDER BY version DESC LIMIT 1',
    [customerId],
  );
  if (!row) return { version: 0, rules: DEFAULT_RULES, created_at: null };
  return {
    version: row.version,
    rules: mergeRules(DEFAULT_RULES, row.rules),
    created_at: new Date(row.created_at).toISOString(),
  };
}

export async function rulesVersion(
  db: Db,
  customerId: string,
  version: number,
): Promise<RulesVersion | undefined> {
  if (version === 0) return { version: 0, rules: DEFAULT_RULES, created_at: null };
  const [row] = await db.query<{ version: number; rules: RulesPatch; created_at: Date }>(
    'SELECT version, rules, created_at FROM decision_rules WHERE customer_id = $1 AND version = $2',
    [customerId, version],
  );
  return row
    ? {
        version: row.version,
        rules: mergeRules(DEFAULT_RULES, row.rules),
        created_at: new Date(row.created_at).toISOString(),
      }
    : undefined;
}

export async function listRuleVersions(db: Db, customerId: string): Promise<RulesVersion[]> {
  const rows = await db.query<{ version: number; rules: RulesPatch; created_at: Date }>(
    'SELECT version, rules, created_at FROM decision_rules WHERE customer_id = $1 ORDER BY version DESC LIMIT 100',
    [customerId],
  );
  return rows.map((r) => ({
    version: r.version,
    rules: mergeRules(DEFAULT_RULES, r.rules),
    created_at: new Date(r.created_at).toISOString(),
  }));
}

/** Stores a new version (full rules, merged over the current ones); concurrent writers get distinct numbers. */
export async function insertRuleVersion(
  db: Db,
  customerId: string,
  patch: RulesPatch,
  at: Date,
  by: string | null,
): Promise<RulesVersion> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`decision_rules:${customerId}`]);
    const cur = await currentRules(tx, customerId);
    const rules = mergeRules(cur.rules, patch);
    const version = cur.version + 1;
    await tx.query(
      'INSERT INTO decision_rules (customer_id, version, rules, created_at, created_by) VALUES ($1, $2, $3, $4, $5)',
      [customerId, version, JSON.stringify(rules), at, by],
    );
    return { version, rules, created_at: at.toISOString() };
  });
}
