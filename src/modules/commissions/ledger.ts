import type { Db } from '../../db/client.ts';
import { newId } from '../../lib/ids.ts';
import { applyRateBp } from '../../lib/money.ts';

/**
 * Channel share ledger ("chi phí phát triển và duy trì DV"). A finalized invoice line books
 * rate × pre-VAT amount (half up) to the agent when its contract was signed through an agent,
 * otherwise to the contract's AM/KAM. Rates come from `commission_rates` by effective date. A credit
 * note books the reversal of exactly its share: cumulative rounding, so crediting a line in full
 * reverses its entry to the last đồng.
 */
export type Channel = 'agent' | 'am';

export interface Beneficiary {
  channel: Channel;
  unitId: string | null;
  userId: string | null;
}

/** Who earns the share of a contract's revenue, or `null` when nobody does (direct sale with no AM). */
export async function beneficiaryOf(db: Db, contractId: string): Promise<Beneficiary | null> {
  const [row] = await db.query<{ agent: string | null; am: string | null }>(
    `SELECT COALESCE(c.agent_unit_id, CASE WHEN su.kind = 'agent' THEN su.id END) AS agent,
            COALESCE(c.am_user_id, cu.am_user_id) AS am
       FROM contracts c JOIN units su ON su.id = c.signing_unit_id JOIN customers cu ON cu.id = c.customer_id
      WHERE c.id = $1`,
    [contractId],
  );
  if (!row) return null;
  if (row.agent) return { channel: 'agent', unitId: row.agent, userId: null };
  if (row.am) return { channel: 'am', unitId: null, userId: row.am };
  return null;
}

/** Rate (basis points) of `channel` in force on `day`. */
export async function rateOn(db: Db, channel: Channel, day: string): Promise<number> {
  const [row] = await db.query<{ rate_bp: number }>(
    `SELECT rate_bp FROM commission_rates WHERE channel = $1 AND effective_from <= $2::date
      ORDER BY effective_from DESC LIMIT 1`,
    [channel, day],
  );
  return row?.rate_bp ?? 0;
}

export interface RateRow {
  id: string;
  channel: Channel;
  rate_bp: number;
  effective_from: string;
  created_at: Date;
}

export async function listRates(db: Db): Promise<RateRow[]> {
  return db.query<RateRow>(
    `SELECT id, channel, rate_bp, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, created_at
       FROM commission_rates ORDER BY channel, effective_from`,
  );
}

/**
 * The first day of the last month a finalized invoice was issued for, or null: its shares were booked
 * at the rates then in force, so a new rate must start after it (history is never rewritten).
 */
export async function lastFinalizedMonth(db: Db): Promise<string | null> {
  const [row] = await db.query<{ month: string | null }>(
    `SELECT to_char(max(period_month), 'YYYY-MM-DD') AS month FROM invoices WHERE status = 'finalized'`,
  );
  return row?.month ?? null;
}

/** Adds a rate from a date; undefined when that channel already has a rate from that date. */
export async function insertRate(
  db: Db,
  channel: Channel,
  rateBp: number,
  effectiveFrom: string,
): Promise<RateRow | undefined> {
  const [row] = await db.query<RateRow>(
    `INSERT INTO commission_rates (id, channel, rate_bp, effective_from) VALUES ($1, $2, $3, $4)
     ON CONFLICT (channel, effective_from) DO NOTHING
     RETURNING id, channel, rate_bp, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, created_at`,
    [newId('crt'), channel, rateBp, effectiveFrom],
  );
  return row;
}

interface LineForShare {
  id: string;
  contract_id: string | null;
  amount_vnd: number;
}

/** Books the share of every line of a just-finalized invoice. Idempotent per line. */
export async function bookInvoiceShares(
  db: Db,
  invoice: { id: string; customer_id: string; period_first_day: string },
  lines: readonly LineForShare[],
  statementMonth: string,
): Promise<number> {
  let booked = 0;
  for (const line of lines) {
    if (!line.contract_id || line.amount_vnd <= 0) continue;
    const who = await beneficiaryOf(db, line.contract_id);
    if (!who) continue;
    const rate = await rateOn(db, who.channel, invoice.period_first_day);
    const rows = await db.query(
      `INSERT INTO commission_entries (id, invoice_id, invoice_line_id, contract_id, customer_id, channel,
         beneficiary_unit_id, beneficiary_user_id, base_vnd, rate_bp, amount_vnd, statement_month)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::date)
       ON CONFLICT (invoice_line_id) DO NOTHING RETURNING id`,
      [
        newId('com'),
        invoice.id,
        line.id,
        line.contract_id,
        invoice.customer_id,
        who.channel,
        who.unitId,
        who.userId,
        line.amount_vnd,
        rate,
        applyRateBp(line.amount_vnd, rate),
        `${statementMonth}-01`,
      ],
    );
    booked += rows.length;
  }
  return booked;
}

/**
 * Books the reversal for one credit-note line crediting `creditVnd` of `originalLineId`, given
 * how much of that line had been credited before. Returns the reversal amount (≤ 0).
 */
export async function reverseLineShare(
  db: Db,
  creditNote: { id: string; customer_id: string },
  creditLineId: string,
  originalLineId: string,
  creditedBeforeVnd: number,
  creditVnd: number,
  statementMonth: string,
): Promise<number> {
  const [orig] = await db.query<{
    id: string;
    contract_id: string;
    channel: Channel;
    beneficiary_unit_id: string | null;
    beneficiary_user_id: string | null;
    rate_bp: number;
  }>(
    `SELECT id, contract_id, channel, beneficiary_unit_id, beneficiary_user_id, rate_bp
       FROM commission_entries WHERE invoice_line_id = $1`,
    [originalLineId],
  );
  if (!orig) return 0;
  const amount = -(
    applyRateBp(creditedBeforeVnd + creditVnd, orig.rate_bp) - applyRateBp(creditedBeforeVnd, orig.rate_bp)
  );
  await db.query(
    `INSERT INTO commission_entries (id, invoice_id, invoice_line_id, contract_id, customer_id, channel,
       beneficiary_unit_id, beneficiary_user_id, base_vnd, rate_bp, amount_vnd, statement_month, reverses_entry_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::date, $13)
     ON CONFLICT (invoice_line_id) DO NOTHING`,
    [
      newId('com'),
      creditNote.id,
      creditLineId,
      orig.contract_id,
      creditNote.customer_id,
      orig.channel,
      orig.beneficiary_unit_id,
      orig.beneficiary_user_id,
      -creditVnd,
      orig.rate_bp,
      amount,
      `${statementMonth}-01`,
      orig.id,
    ],
  );
  return amount;
}

export interface StatementEntry {
  id: string;
  invoice_id: string;
  invoice_number: string | null;
  invoice_kind: string;
  customer_id: string;
  customer_name: string;
  contract_id: string;
  channel: Channel;
  beneficiary_unit_id: string | null;
  beneficiary_user_id: string | null;
  base_vnd: number;
  rate_bp: number;
  amount_vnd: number;
  statement_month: string;
  reverses_entry_id: string | null;
}

/** Ledger entries booked in `month`, filtered to one beneficiary when given. */
export async function statementEntries(
  db: Db,
  month: string,
  filter: { unitId?: string; userId?: string; scopeSql?: (params: unknown[]) => string },
): Promise<StatementEntry[]> {
  const params: unknown[] = [`${month}-01`];
  const where = ['e.statement_month = $1::date'];
  if (filter.unitId) where.push(`e.beneficiary_unit_id = $${params.push(filter.unitId)}`);
  if (filter.userId) where.push(`e.beneficiary_user_id = $${params.push(filter.userId)}`);
  if (filter.scopeSql) where.push(filter.scopeSql(params));
  return db.query<StatementEntry>(
    `SELECT e.id, e.invoice_id, i.number AS invoice_number, i.kind AS invoice_kind, e.customer_id,
            cu.legal_name AS customer_name, e.contract_id, e.channel, e.beneficiary_unit_id, e.beneficiary_user_id,
            e.base_vnd, e.rate_bp, e.amount_vnd, to_char(e.statement_month, 'YYYY-MM') AS statement_month,
            e.reverses_entry_id
       FROM commission_entries e JOIN invoices i ON i.id = e.invoice_id JOIN customers cu ON cu.id = e.customer_id
      WHERE ${where.join(' AND ')}
      ORDER BY e.channel, e.beneficiary_unit_id, e.beneficiary_user_id, e.created_at, e.id`,
    params as string[],
  );
}

/** Totals per beneficiary for a statement. */
export function statementTotals(entries: readonly StatementEntry[]) {
  const by = new Map<
    string,
    {
      channel: Channel;
      unit_id: string | null;
      user_id: string | null;
      base_vnd: number;
      amount_vnd: number;
      entries: number;
    }
  >();
  for (const e of entries) {
    const key = `${e.channel}:${e.beneficiary_unit_id ?? e.beneficiary_user_id}`;
    const t = by.get(key) ?? {
      channel: e.channel,
      unit_id: e.beneficiary_unit_id,
      user_id: e.beneficiary_user_id,
      base_vnd: 0,
      amount_vnd: 0,
      entries: 0,
    };
    t.base_vnd += e.base_vnd;
    t.amount_vnd += e.amount_vnd;
    t.entries += 1;
    by.set(key, t);
  }
  return [...by.values()];
}
