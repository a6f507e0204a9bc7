import type { Db } from '../../db/client.ts';
import { defineErrors } from '../../http/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { applyRateBp, vatOfLine } from '../../lib/money.ts';
import { type Actor, recordAudit } from '../audit/audit.ts';
import { bookInvoiceShares, reverseLineShare } from '../commissions/ledger.ts';
import { type LocalMonth, localMidnight, localMonth, monthOf } from './period.ts';
import { type PlanVersion, planVersionOn } from './plans.repo.ts';
import { price } from './pricing.ts';

export const billingError = defineErrors({
  ERR_BILLING_MONTH_INVALID: { status: 400, title: 'The month must be YYYY-MM and already ended' },
  ERR_PLAN_NOT_FOUND: { status: 404, title: 'No such price plan, or none in force on that date' },
  ERR_PLAN_INVALID: { status: 400, title: 'The price plan is not valid' },
  ERR_PLAN_EXISTS: { status: 409, title: 'A plan or version with this code and date already exists' },
  ERR_PLAN_HISTORY: {
    status: 409,
    title: 'Invoices on this plan are finalized on or after that date: a new version must start after them',
  },
  ERR_INVOICE_NOT_FOUND: { status: 404, title: 'Invoice not found' },
  ERR_INVOICE_NOT_DRAFT: { status: 409, title: 'Only a draft invoice can be finalized' },
  ERR_INVOICE_NOT_FINALIZED: { status: 409, title: 'Only a finalized invoice can be credited' },
  ERR_CREDIT_INVALID: { status: 400, title: 'The credit note is not valid' },
  ERR_CREDIT_EXCEEDS: { status: 409, title: 'The credit exceeds what is left to credit on the line' },
  ERR_CONTRACT_NOT_FOUND: { status: 404, title: 'Contract not found' },
});

/** Statuses whose contracts are billed for the days their dates cover (status is today's, dates bound the past). */
export const BILLED_STATUSES = [
  'active',
  'expiring',
  'cancellation_requested',
  'renewed',
  'expired',
  'cancelled',
] as const;

export interface BillingOptions {
  /** VAT in basis points; 10 % = 1000 (the default). */
  vatRateBp: number;
  /** Drafts finalize on their own after this many days. */
  reviewDays: number;
  timezone: string;
}

interface ContractRow {
  id: string;
  customer_id: string;
  edition: 'cloud_saas' | 'on_premise';
  start_date: string;
  end_date: string;
  cancel_effective_date: string | null;
  onprem_amount_vnd: number | null;
  onprem_month: string | null;
  plan_code: string;
}

export interface DraftLine {
  kind: 'usage' | 'onprem' | 'minimum';
  contractId: string;
  description: string;
  quantity: number;
  unitPriceVnd: number | null;
  amountVnd: number;
  planCode: string | null;
  tierMode: string | null;
  breakdown: unknown[];
}

export interface RunSummary {
  month: string;
  customers: number;
  created: number;
  updated: number;
  skippedFinalized: number;
  billedEvents: number;
  unbilledEvents: number;
  subtotalVnd: number;
}

export interface InvoiceRow {
  id: string;
  number: string | null;
  kind: 'invoice' | 'credit_note';
  customer_id: string;
  period_month: string;
  credits_invoice_id: string | null;
  status: 'draft' | 'finalized';
  vat_rate_bp: number;
  subtotal_vnd: number;
  vat_vnd: number;
  total_vnd: number;
  reason: string | null;
  review_until: string | null;
  created_at: string;
  finalized_at: string | null;
}

export interface InvoiceLineRow {
  id: string;
  invoice_id: string;
  line_no: number;
  kind: string;
  contract_id: string | null;
  credits_line_id: string | null;
  description: string;
  quantity: number;
  unit_price_vnd: number | null;
  amount_vnd: number;
  vat_vnd: number;
  plan_code: string | null;
  tier_mode: string | null;
  breakdown: unknown[];
}

const INVOICE_COLUMNS = `i.id, i.number, i.kind, i.customer_id, to_char(i.period_month, 'YYYY-MM') AS period_month,
  i.credits_invoice_id, i.status, i.vat_rate_bp, i.subtotal_vnd, i.vat_vnd, i.total_vnd, i.reason,
  i.review_until, i.created_at, i.finalized_at`;

const dayMs = 86_400_000;
const dayNumber = (d: string) => Date.parse(`${d}T00:00:00Z`) / dayMs;
const dayString = (n: number) => new Date(n * dayMs).toISOString().slice(0, 10);

/** The local days of `m` on which contract `c` is in force: [from, to] inclusive, or null. */
export function daysInForce(
  c: Pick<ContractRow, 'start_date' | 'end_date' | 'cancel_effective_date'>,
  m: Pick<LocalMonth, 'firstDay' | 'lastDay'>,
): { from: string; to: string; days: number } | null {
  const from = Math.max(dayNumber(c.start_date), dayNumber(m.firstDay));
  let to = Math.min(dayNumber(c.end_date), dayNumber(m.lastDay));
  if (c.cancel_effective_date) to = Math.min(to, dayNumber(c.cancel_effective_date) - 1);
  if (to < from) return null;
  return { from: dayString(from), to: dayString(to), days: to - from + 1 };
}

export function createBillingService(deps: { db: Db; clock: Clock; options: BillingOptions }) {
  const { db, clock, options } = deps;
  const tz = options.timezone;

  function monthOrThrow(month: string, mustBeOver: boolean): LocalMonth {
    let m: LocalMonth;
    try {
      m = localMonth(month, tz);
    } catch {
      throw billingError('ERR_BILLING_MONTH_INVALID');
    }
    if (mustBeOver && m.end.getTime() > clock.now().getTime()) {
      throw billingError('ERR_BILLING_MONTH_INVALID', `${month} has not ended yet`);
    }
    return m;
  }

  async function contractsOf(m: LocalMonth, customerId?: string): Promise<ContractRow[]> {
    const params: unknown[] = [m.firstDay, m.lastDay, [...BILLED_STATUSES], tz];
    const only = customerId ? `AND c.customer_id = $${params.push(customerId)}` : '';
    return db.query<ContractRow>(
      `SELECT c.id, c.customer_id, c.edition, to_char(c.start_date, 'YYYY-MM-DD') AS start_date,
              to_char(c.end_date, 'YYYY-MM-DD') AS end_date,
              to_char(c.cancel_effective_date, 'YYYY-MM-DD') AS cancel_effective_date,
              c.onprem_amount_vnd AS onprem_amount_vnd,
              to_char(COALESCE((c.activated_at AT TIME ZONE $4)::date, c.start_date), 'YYYY-MM') AS onprem_month,
              COALESCE(c.price_plan_code, 'cloud_saas_default') AS plan_code
         FROM contracts c
        WHERE c.status = ANY($3::text[]) AND c.start_date <= $2::date AND c.end_date >= $1::date
          AND (c.cancel_effective_date IS NULL OR c.cancel_effective_date > $1::date) ${only}
        ORDER BY c.customer_id, c.start_date DESC, c.id`,
      params as string[],
    );
  }

  const planCache = new Map<string, PlanVersion | null>();
  async function planFor(code: string, day: string): Promise<PlanVersion | null> {
    const key = `${code}@${day}`;
    if (!planCache.has(key)) planCache.set(key, (await planVersionOn(db, code, day)) ?? null);
    return planCache.get(key) ?? null;
  }

  /**
   * Events per Cloud SaaS contract for a month in one aggregate query. Each local day of the month
   * goes to the first Cloud SaaS contract (in `contractsOf` order: the later start wins) in force
   * that day, or to none; each customer's runs of days with one contract (or none) become spans
   * of instants covering the month, and each span is one range count on the (customer_id, at)
   * index, so the run reads only the month's events, however long the history. Events in spans
   * without a contract are unbilled.
   */
  async function usageByContract(
    m: LocalMonth,
    byCustomer: Map<string, ContractRow[]>,
    customerId?: string,
  ): Promise<{ counts: Map<string, number>; billedEvents: number; unbilledEvents: number }> {
    const midnights = new Map<number, string>();
    const midnight = (day: number) => {
      let at = midnights.get(day);
      if (!at) {
        const d = new Date(day * dayMs);
        at = localMidnight(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), tz).toISOString();
        midnights.set(day, at);
      }
      return at;
    };
    const first = dayNumber(m.firstDay);
    const last = dayNumber(m.lastDay);
    const customers = customerId
      ? [customerId]
      : (await db.query<{ id: string }>('SELECT id FROM customers')).map((r) => r.id);
    const spans = {
      contract: [] as Array<string | null>,
      customer: [] as string[],
      from: [] as string[],
      to: [] as string[],
    };
    for (const customer of customers) {
      const cloud = (byCustomer.get(customer) ?? [])
        .filter((c) => c.edition === 'cloud_saas')
        .map((c) => ({
          id: c.id,
          from: dayNumber(c.start_date),
          to: Math.min(
            dayNumber(c.end_date),
            c.cancel_effective_date ? dayNumber(c.cancel_effective_date) - 1 : Number.POSITIVE_INFINITY,
          ),
        }));
      let open = { contract: null as string | null, from: first };
      for (let day = first; day <= last + 1; day++) {
        const contract =
          day > last ? undefined : (cloud.find((k) => k.from <= day && day <= k.to)?.id ?? null);
        if (contract !== open.contract) {
          if (day > open.from) {
            spans.contract.push(open.contract);
            spans.customer.push(customer);
            spans.from.push(midnight(open.from));
            spans.to.push(midnight(day));
          }
          open = { contract: contract ?? null, from: day };
        }
      }
    }
    const rows = await db.query<{ i: number; n: number }>(
      `SELECT s.i, (SELECT count(*) FROM usage_events e
                     WHERE e.customer_id = s.customer_id AND e.at >= s.from_at AND e.at < s.to_at)::int AS n
         FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS s(customer_id, from_at, to_at, i)`,
      [spans.customer, spans.from, spans.to],
    );
    const counts = new Map<string, number>();
    let billedEvents = 0;
    let unbilledEvents = 0;
    for (const r of rows) {
      const contract = spans.contract[r.i - 1];
      if (contract) {
        counts.set(contract, (counts.get(contract) ?? 0) + r.n);
        billedEvents += r.n;
      } else {
        unbilledEvents += r.n;
      }
    }
    return { counts, billedEvents, unbilledEvents };
  }

  /**
   * The draft lines of every customer for a month: usage counted on the days each Cloud SaaS
   * contract is in force (a customer with two contracts on one day counts on the later one),
   * priced by the contract's plan version in force on the month's first day; plus on-premise
   * amounts due that month.
   */
  async function computeLines(
    m: LocalMonth,
    customerId?: string,
  ): Promise<{ lines: Map<string, DraftLine[]>; billedEvents: number; unbilledEvents: number }> {
    planCache.clear();
    const contracts = await contractsOf(m, customerId);
    const byCustomer = new Map<string, ContractRow[]>();
    for (const c of contracts) {
      const list = byCustomer.get(c.customer_id) ?? [];
      list.push(c);
      byCustomer.set(c.customer_id, list);
    }
    const { counts, billedEvents, unbilledEvents } = await usageByContract(m, byCustomer, customerId);

    const schedule = await db.query<{ contract_id: string; amount_vnd: number; description: string }>(
      `SELECT s.contract_id, s.amount_vnd, s.description FROM billing_schedule_items s
        WHERE s.bill_month = $1::date ORDER BY s.contract_id, s.description`,
      [m.firstDay],
    );
    const scheduled = new Set(
      (
        await db.query<{ contract_id: string }>('SELECT DISTINCT contract_id FROM billing_schedule_items')
      ).map((r) => r.contract_id),
    );

    const lines = new Map<string, DraftLine[]>();
    const push = (customer: string, line: DraftLine) => {
      const list = lines.get(customer) ?? [];
      list.push(line);
      lines.set(customer, list);
    };
    for (const c of contracts) {
      const span = daysInForce(c, m);
      if (!span) continue;
      if (c.edition === 'cloud_saas') {
        const plan = await planFor(c.plan_code, m.firstDay);
        if (!plan)
          throw billingError('ERR_PLAN_NOT_FOUND', `plan ${c.plan_code} has no version for ${m.month}`);
        const n = counts.get(c.id) ?? 0;
        const priced = price(n, plan.tiers, plan.tier_mode);
        const partial = span.days < dayNumber(m.lastDay) - dayNumber(m.firstDay) + 1;
        if (n > 0) {
          push(c.customer_id, {
            kind: 'usage',
            contractId: c.id,
            description: `Phí dịch vụ eKYC Cloud SaaS tháng ${m.month.slice(5)}/${m.month.slice(0, 4)}${
              partial ? ` (${span.from} – ${span.to})` : ''
            }`,
            quantity: n,
            unitPriceVnd: plan.tier_mode === 'volume' ? (priced.breakdown[0]?.unitPriceVnd ?? null) : null,
            amountVnd: priced.amountVnd,
            planCode: plan.plan_code,
            tierMode: plan.tier_mode,
            breakdown: priced.breakdown,
          });
        }
        if (plan.minimum_monthly_vnd > priced.amountVnd) {
          // The minimum counts the days in force: a partial month owes its share, half up.
          const monthDays = dayNumber(m.lastDay) - dayNumber(m.firstDay) + 1;
          const minimum = Number(
            (BigInt(plan.minimum_monthly_vnd) * BigInt(span.days) * 2n + BigInt(monthDays)) /
              (2n * BigInt(monthDays)),
          );
          if (minimum > priced.amountVnd) {
            push(c.customer_id, {
              kind: 'minimum',
              contractId: c.id,
              description: `Phí tối thiểu theo gói cước (${span.days}/${monthDays} ngày)`,
              quantity: 1,
              unitPriceVnd: minimum - priced.amountVnd,
              amountVnd: minimum - priced.amountVnd,
              planCode: plan.plan_code,
              tierMode: plan.tier_mode,
              breakdown: [],
            });
          }
        }
      } else if (!scheduled.has(c.id) && c.onprem_amount_vnd && c.onprem_month === m.month) {
        push(c.customer_id, {
          kind: 'onprem',
          contractId: c.id,
          description: 'Phí triển khai eKYC On-premise (trọn gói)',
          quantity: 1,
          unitPriceVnd: c.onprem_amount_vnd,
          amountVnd: c.onprem_amount_vnd,
          planCode: null,
          tierMode: null,
          breakdown: [],
        });
      }
    }
    const customerOf = new Map(contracts.map((c) => [c.id, c.customer_id]));
    if (schedule.length > 0) {
      const owners = await db.query<{ id: string; customer_id: string }>(
        'SELECT id, customer_id FROM contracts WHERE id = ANY($1::text[])',
        [[...new Set(schedule.map((s) => s.contract_id))]],
      );
      for (const o of owners) customerOf.set(o.id, o.customer_id);
    }
    for (const s of schedule) {
      const customer = customerOf.get(s.contract_id);
      if (!customer || (customerId && customer !== customerId)) continue;
      push(customer, {
        kind: 'onprem',
        contractId: s.contract_id,
        description: s.description,
        quantity: 1,
        unitPriceVnd: s.amount_vnd,
        amountVnd: s.amount_vnd,
        planCode: null,
        tierMode: null,
        breakdown: [],
      });
    }
    return { lines, billedEvents, unbilledEvents };
  }

  async function insertLines(tx: Db, invoiceIds: string[], lineSets: DraftLine[][]): Promise<void> {
    const cols = {
      id: [] as string[],
      invoice: [] as string[],
      no: [] as number[],
      kind: [] as string[],
      contract: [] as string[],
      description: [] as string[],
      quantity: [] as number[],
      unit: [] as Array<number | null>,
      amount: [] as number[],
      vat: [] as number[],
      plan: [] as Array<string | null>,
      mode: [] as Array<string | null>,
      breakdown: [] as string[],
    };
    invoiceIds.forEach((invoiceId, i) => {
      lineSets[i]!.forEach((l, j) => {
        cols.id.push(newId('inl'));
        cols.invoice.push(invoiceId);
        cols.no.push(j + 1);
        cols.kind.push(l.kind);
        cols.contract.push(l.contractId);
        cols.description.push(l.description);
        cols.quantity.push(l.quantity);
        cols.unit.push(l.unitPriceVnd);
        cols.amount.push(l.amountVnd);
        cols.vat.push(vatOfLine(l.amountVnd, options.vatRateBp));
        cols.plan.push(l.planCode);
        cols.mode.push(l.tierMode);
        cols.breakdown.push(JSON.stringify(l.breakdown));
      });
    });
    if (cols.id.length === 0) return;
    await tx.query(
      `INSERT INTO invoice_lines (id, invoice_id, line_no, kind, contract_id, description, quantity, unit_price_vnd,
         amount_vnd, vat_vnd, plan_code, tier_mode, breakdown)
       SELECT id, inv, no, kind, contract, descr, qty, unit, amount, vat, plan, mode, bd::jsonb
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                     $8::bigint[], $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[])
           AS u(id, inv, no, kind, contract, descr, qty, unit, amount, vat, plan, mode, bd)`,
      [
        cols.id,
        cols.invoice,
        cols.no,
        cols.kind,
        cols.contract,
        cols.description,
        cols.quantity,
        cols.unit,
        cols.amount,
        cols.vat,
        cols.plan,
        cols.mode,
        cols.breakdown,
      ],
    );
  }

  const totalsOf = (lines: DraftLine[]) => {
    const subtotal = lines.reduce((s, l) => s + l.amountVnd, 0);
    const vat = lines.reduce((s, l) => s + vatOfLine(l.amountVnd, options.vatRateBp), 0);
    return { subtotal, vat, total: subtotal + vat };
  };

  async function nextNumber(tx: Db, kind: 'invoice' | 'credit_note'): Promise<string> {
    const [row] = await tx.query<{ n: number }>("SELECT nextval('invoice_number_seq')::int AS n");
    const year = monthOf(clock.now(), tz).slice(0, 4);
    return `${kind === 'invoice' ? 'HD' : 'DC'}${year}-${String(row!.n).padStart(7, '0')}`;
  }

  async function getInvoice(tx: Db, id: string, lock = false): Promise<InvoiceRow | undefined> {
    const [row] = await tx.query<InvoiceRow>(
      `SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return row;
  }

  async function linesOf(tx: Db, invoiceId: string): Promise<InvoiceLineRow[]> {
    return tx.query<InvoiceLineRow>(
      `SELECT id, invoice_id, line_no, kind, contract_id, credits_line_id, description, quantity, unit_price_vnd,
              amount_vnd, vat_vnd, plan_code, tier_mode, breakdown
         FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no`,
      [invoiceId],
    );
  }

  async function finalizeLocked(tx: Db, inv: InvoiceRow, actor: Actor): Promise<InvoiceRow> {
    const number = await nextNumber(tx, 'invoice');
    const now = clock.now();
    await tx.query(
      `UPDATE invoices SET status = 'finalized', number = $2, finalized_at = $3, finalized_by = $4, updated_at = $3
        WHERE id = $1 AND status = 'draft'`,
      [inv.id, number, now, actor.id ?? actor.type],
    );
    await bookInvoiceShares(
      tx,
      { id: inv.id, customer_id: inv.customer_id, period_first_day: `${inv.period_month}-01` },
      await linesOf(tx, inv.id),
      monthOf(now, tz),
    );
    await recordAudit(tx, actor, {
      action: 'invoice.finalize',
      entityType: 'invoice',
      entityId: inv.id,
      customerId: inv.customer_id,
      details: { number, total_vnd: inv.total_vnd },
    });
    return (await getInvoice(tx, inv.id))!;
  }

  return {
    options,
    computeLines,

    /**
     * The monthly run: a draft invoice per customer with billable lines. Idempotent: a re-run
     * recomputes drafts in place (late events), never touches a finalized invoice and never adds a
     * second invoice for the same customer and month (unique index).
     */
    async runMonth(month: string, actor: Actor, opts: { customerId?: string } = {}): Promise<RunSummary> {
      const m = monthOrThrow(month, true);
      const { lines, billedEvents, unbilledEvents } = await computeLines(m, opts.customerId);
      const existing = new Map(
        (
          await db.query<{ id: string; customer_id: string; status: string }>(
            `SELECT id, customer_id, status FROM invoices WHERE kind = 'invoice' AND period_month = $1::date`,
            [m.firstDay],
          )
        ).map((r) => [r.customer_id, r]),
      );
      const summary: RunSummary = {
        month,
        customers: lines.size,
        created: 0,
        updated: 0,
        skippedFinalized: 0,
        billedEvents,
        unbilledEvents,
        subtotalVnd: 0,
      };
      const reviewUntil = new Date(clock.now().getTime() + options.reviewDays * dayMs);
      const fresh: Array<[string, DraftLine[]]> = [];
      const drafts: Array<[string, DraftLine[]]> = [];
      for (const [customer, ls] of lines) {
        const found = existing.get(customer);
        if (!found) fresh.push([customer, ls]);
        else if (found.status !== 'draft') summary.skippedFinalized += 1;
        else drafts.push([found.id, ls]);
      }
      // Drafts are recomputed in place, in bulk; the status test in the UPDATE leaves alone any
      // invoice finalized since it was read.
      for (let i = 0; i < drafts.length; i += 1000) {
        const chunk = drafts.slice(i, i + 1000);
        await db.transaction(async (tx) => {
          const totals = chunk.map(([, ls]) => totalsOf(ls));
          const updated = await tx.query<{ id: string }>(
            `UPDATE invoices i SET subtotal_vnd = u.sub, vat_vnd = u.vat, total_vnd = u.tot, vat_rate_bp = $5, updated_at = $6
               FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(id, sub, vat, tot)
              WHERE i.id = u.id AND i.status = 'draft' RETURNING i.id`,
            [
              chunk.map(([id]) => id),
              totals.map((t) => t.subtotal),
              totals.map((t) => t.vat),
              totals.map((t) => t.total),
              options.vatRateBp,
              clock.now(),
            ],
          );
          const ok = new Set(updated.map((r) => r.id));
          const keep = chunk.map((c, j) => [c, j] as const).filter(([[id]]) => ok.has(id));
          await tx.query('DELETE FROM invoice_lines WHERE invoice_id = ANY($1::text[])', [[...ok]]);
          await insertLines(
            tx,
            keep.map(([[id]]) => id),
            keep.map(([[, ls]]) => ls),
          );
          summary.updated += keep.length;
          summary.skippedFinalized += chunk.length - keep.length;
          for (const [, j] of keep) summary.subtotalVnd += totals[j]!.subtotal;
        });
      }
      const CHUNK = 1000;
      for (let i = 0; i < fresh.length; i += CHUNK) {
        const chunk = fresh.slice(i, i + CHUNK);
        await db.transaction(async (tx) => {
          const ids = chunk.map(() => newId('inv'));
          const totals = chunk.map(([, ls]) => totalsOf(ls));
          const inserted = await tx.query<{ id: string }>(
            `INSERT INTO invoices (id, kind, customer_id, period_month, status, vat_rate_bp, subtotal_vnd, vat_vnd,
               total_vnd, review_until, created_at, updated_at)
             SELECT id, 'invoice', cus, $2::date, 'draft', $3, sub, vat, tot, $4, $5, $5
               FROM unnest($1::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[]) AS u(id, cus, sub, vat, tot)
             ON CONFLICT (customer_id, period_month) WHERE kind = 'invoice' DO NOTHING
             RETURNING id`,
            [
              ids,
              m.firstDay,
              options.vatRateBp,
              reviewUntil,
              clock.now(),
              chunk.map(([c]) => c),
              totals.map((t) => t.subtotal),
              totals.map((t) => t.vat),
              totals.map((t) => t.total),
            ],
          );
          const ok = new Set(inserted.map((r) => r.id));
          const keep = ids.map((id, j) => [id, j] as const).filter(([id]) => ok.has(id));
          await insertLines(
            tx,
            keep.map(([id]) => id),
            keep.map(([, j]) => chunk[j]![1]),
          );
          summary.created += keep.length;
          for (const [, j] of keep) summary.subtotalVnd += totals[j]!.subtotal;
        });
      }
      await recordAudit(db, actor, {
        action: 'billing.run',
        entityType: 'billing_run',
        entityId: month,
        details: { ...summary },
      });
      return summary;
    },

    getInvoice: (id: string) => getInvoice(db, id),
    linesOf: (invoiceId: string) => linesOf(db, invoiceId),

    async finalize(id: string, actor: Actor): Promise<InvoiceRow> {
      return db.transaction(async (tx) => {
        const inv = await getInvoice(tx, id, true);
        if (!inv) throw billingError('ERR_INVOICE_NOT_FOUND');
        if (inv.status !== 'draft') throw billingError('ERR_INVOICE_NOT_DRAFT');
        return finalizeLocked(tx, inv, actor);
      });
    },

    /** Finalizes every draft whose review period has ended. Returns how many. */
    async finalizeDue(actor: Actor): Promise<number> {
      const due = await db.query<{ id: string }>(
        `SELECT id FROM invoices WHERE status = 'draft' AND review_until <= $1 ORDER BY id`,
        [clock.now()],
      );
      let n = 0;
      for (const { id } of due) {
        const done = await db.transaction(async (tx) => {
          const inv = await getInvoice(tx, id, true);
          if (!inv || inv.status !== 'draft') return false;
          await finalizeLocked(tx, inv, actor);
          return true;
        });
        if (done) n += 1;
      }
      return n;
    },

    /**
     * A credit note against a finalized invoice: negative lines crediting some or all of each line
     * (at most what is left), VAT per line half up, finalized at once, and its share reversed.
     */
    async creditNote(
      invoiceId: string,
      input: { reason: string; lines?: Array<{ lineId: string; amountVnd: number }> },
      actor: Actor,
    ): Promise<{ creditNote: InvoiceRow; lines: InvoiceLineRow[] }> {
      return db.transaction(async (tx) => {
        const inv = await getInvoice(tx, invoiceId, true);
        if (!inv || inv.kind !== 'invoice') throw billingError('ERR_INVOICE_NOT_FOUND');
        if (inv.status !== 'finalized') throw billingError('ERR_INVOICE_NOT_FINALIZED');
        const lines = await linesOf(tx, inv.id);
        const credited = new Map(
          (
            await tx.query<{ credits_line_id: string; credited: number }>(
              `SELECT l.credits_line_id, -sum(l.amount_vnd)::bigint AS credited FROM invoice_lines l
                 JOIN invoices c ON c.id = l.invoice_id
                WHERE c.credits_invoice_id = $1 GROUP BY l.credits_line_id`,
              [inv.id],
            )
          ).map((r) => [r.credits_line_id, Number(r.credited)]),
        );
        const wanted =
          input.lines ??
          lines
            .map((l) => ({ lineId: l.id, amountVnd: l.amount_vnd - (credited.get(l.id) ?? 0) }))
            .filter((w) => w.amountVnd > 0);
        if (wanted.length === 0) throw billingError('ERR_CREDIT_EXCEEDS', 'nothing is left to credit');
        const seen = new Set<string>();
        const plan = wanted.map((w) => {
          const line = lines.find((l) => l.id === w.lineId);
          if (!line || seen.has(w.lineId))
            throw billingError('ERR_CREDIT_INVALID', 'unknown or repeated line');
          seen.add(w.lineId);
          if (!Number.isSafeInteger(w.amountVnd) || w.amountVnd <= 0) {
            throw billingError('ERR_CREDIT_INVALID', 'amount_vnd must be a positive whole number');
          }
          const before = credited.get(line.id) ?? 0;
          if (before + w.amountVnd > line.amount_vnd) throw billingError('ERR_CREDIT_EXCEEDS');
          return { line, amount: w.amountVnd, before };
        });
        const now = clock.now();
        const id = newId('inv');
        const number = await nextNumber(tx, 'credit_note');
        const subtotal = -plan.reduce((s, p) => s + p.amount, 0);
        const vat = plan.reduce((s, p) => s + vatOfLine(-p.amount, inv.vat_rate_bp), 0);
        await tx.query(
          `INSERT INTO invoices (id, number, kind, customer_id, period_month, credits_invoice_id, status, vat_rate_bp,
             subtotal_vnd, vat_vnd, total_vnd, reason, created_at, updated_at, finalized_at, finalized_by)
           VALUES ($1, $2, 'credit_note', $3, $4::date, $5, 'finalized', $6, $7, $8, $9, $10, $11, $11, $11, $12)`,
          [
            id,
            number,
            inv.customer_id,
            `${inv.period_month}-01`,
            inv.id,
            inv.vat_rate_bp,
            subtotal,
            vat,
            subtotal + vat,
            input.reason,
            now,
            actor.id ?? actor.type,
          ],
        );
        const statementMonth = monthOf(now, tz);
        for (const [i, p] of plan.entries()) {
          const lineId = newId('inl');
          await tx.query(
            `INSERT INTO invoice_lines (id, invoice_id, line_no, kind, contract_id, credits_line_id, description,
               quantity, unit_price_vnd, amount_vnd, vat_vnd)
             VALUES ($1, $2, $3, 'credit', $4, $5, $6, 1, $7, $7, $8)`,
            [
              lineId,
              id,
              i + 1,
              p.line.contract_id,
              p.line.id,
              `Điều chỉnh giảm: ${p.line.description}`,
              -p.amount,
              vatOfLine(-p.amount, inv.vat_rate_bp),
            ],
          );
          await reverseLineShare(
            tx,
            { id, customer_id: inv.customer_id },
            lineId,
            p.line.id,
            p.before,
            p.amount,
            statementMonth,
          );
        }
        await recordAudit(tx, actor, {
          action: 'invoice.credit_note',
          entityType: 'invoice',
          entityId: id,
          customerId: inv.customer_id,
          details: { credits: inv.id, number, subtotal_vnd: subtotal },
        });
        return { creditNote: (await getInvoice(tx, id))!, lines: await linesOf(tx, id) };
      });
    },
  };
}

export type BillingService = ReturnType<typeof createBillingService>;

/** Share of an amount at a rate, exported for reports. */
export const shareOf = applyRateBp;
