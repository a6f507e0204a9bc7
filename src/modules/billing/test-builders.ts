import type { Db } from '../../db/client.ts';
import { newId } from '../../lib/ids.ts';

/** Test builders for billing: units, people, customers and contracts with only the columns billing reads. */

export async function buildParties(db: Db): Promise<void> {
  await db.query(
    `INSERT INTO units (id, kind, code, name, parent_unit_id) VALUES
      ('unt_tc', 'it_center', 'TC', 'Trung tâm CNTT', NULL),
      ('unt_kv1', 'ctkv', 'KV1', 'CTKV 1', NULL),
      ('unt_dl1', 'agent', 'DL1', 'Đại lý 1', 'unt_tc')
     ON CONFLICT (id) DO NOTHING`,
  );
  await db.query(
    `INSERT INTO users (id, email, full_name, password_hash, role) VALUES
      ('usr_am1', 'am1@test.local', 'AM Một', 'x', 'am') ON CONFLICT (id) DO NOTHING`,
  );
}

export async function buildCustomer(db: Db, opts: { id?: string; segment?: string } = {}): Promise<string> {
  const id = opts.id ?? newId('cus');
  const tax = String(Math.floor(Math.random() * 9e9) + 1e9);
  await db.query(
    `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, am_user_id)
     VALUES ($1, $2, $3, $4, 'unt_kv1', 'usr_am1')`,
    [id, `Khách hàng ${id}`, tax, opts.segment ?? 'bank'],
  );
  return id;
}

export async function buildContract(
  db: Db,
  c: {
    customerId: string;
    start: string;
    end: string;
    edition?: 'cloud_saas' | 'on_premise';
    status?: string;
    plan?: string;
    signingUnit?: string;
    agentUnit?: string | null;
    amUser?: string | null;
    cancelEffective?: string | null;
    onpremAmount?: number | null;
  },
): Promise<string> {
  const id = newId('ctr');
  await db.query(
    `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id,
       am_user_id, agent_unit_id, price_plan_code)
     VALUES ($1, $2, $3, $4, $5, $6, 12, $7, $8, $9, $10)`,
    [
      id,
      c.customerId,
      c.edition ?? 'cloud_saas',
      c.status ?? 'active',
      c.start,
      c.end,
      c.signingUnit ?? 'unt_kv1',
      c.amUser === undefined ? 'usr_am1' : c.amUser,
      c.agentUnit ?? null,
      c.plan ?? 'cloud_saas_default',
    ],
  );
  if (c.cancelEffective || c.onpremAmount) {
    await db.query('UPDATE contracts SET cancel_effective_date = $2, onprem_amount_vnd = $3 WHERE id = $1', [
      id,
      c.cancelEffective ?? null,
      c.onpremAmount ?? null,
    ]);
  }
  return id;
}
