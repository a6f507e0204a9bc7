import { createHash } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { httpError } from '../../http/errors.ts';
import { type BusinessCalendar, loadBusinessCalendar } from '../../lib/calendar/calendar.ts';
import { addDays, addMonths, localInstant } from '../../lib/calendar/dates.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId, randomToken } from '../../lib/ids.ts';
import type { BlobStore } from '../../lib/storage/blob-store.ts';
import { decryptBlob, encryptBlob } from '../../lib/storage/blob-store.ts';
import type { ApiKeyService } from '../accounts/api-keys.service.ts';
import { hashPassword } from '../accounts/passwords.ts';
import type { SessionUser } from '../accounts/roles.ts';
import { scopeOf } from '../accounts/scope.ts';
import { type Actor, recordAudit, systemActor } from '../audit/audit.ts';
import { findCustomerInScope } from '../customers/customers.repo.ts';
import type { Notifier } from '../notify/notify.service.ts';
import type { ContractRow, ContractStatus } from './contracts.repo.ts';
import * as repo from './contracts.repo.ts';
import { contractError } from './errors.ts';
import { renderAccountLetter } from './letter.ts';
import { templates } from './templates.ts';

export interface ContractDeps {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'publicUrl' | 'renewalPriorityWorkingDays' | 'retentionDays' | 'secureLinkTtlHours'>;
  notifier: Notifier;
  apiKeys: ApiKeyService;
  blobs: BlobStore;
  masterKey: Buffer;
}

export interface DeclareInput {
  customer_id: string;
  edition: 'cloud_saas' | 'on_premise';
  signed_at: string;
  start_date?: string;
  term_months: number;
  signing_unit_id?: string;
  am_user_id?: string;
  agent_unit_id?: string;
  price_plan_code?: string;
  onprem_amount_vnd?: number;
  payment_schedule?: Array<{ due_date: string; amount_vnd: number }>;
  notes?: string;
  renewal_of?: string;
}

/** Working-day deadline of every workflow step (the seed: "within 1 working day"). */
export const STEP_WORKING_DAYS = {
  declare_contract: 1,
  provision_account: 1,
  deliver_account_details: 1,
  declare_cancellation: 1,
  process_renewal: 1,
  process_cancellation: 1,
} as const;
export type TaskKind = keyof typeof STEP_WORKING_DAYS;

const UNIT_ROLES = new Set(['unit_user', 'agent_user']);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function createContractService(deps: ContractDeps) {
  const { db, clock, notifier } = deps;
  const calendar = (): Promise<BusinessCalendar> => loadBusinessCalendar(db);

  const today = async () => (await calendar()).localDate(clock.now());

  async function transition(
    tx: Db,
    c: ContractRow,
    to: ContractStatus | null,
    actor: Actor,
    event: string,
    extra: { reason?: string | null; details?: Record<string, unknown> } = {},
  ) {
    if (to && to !== c.status) {
      await tx.query('UPDATE contracts SET status = $2, updated_at = $3 WHERE id = $1', [
        c.id,
        to,
        clock.now(),
      ]);
    }
    await tx.query(
      `INSERT INTO contract_events (contract_id, at, actor_type, actor_id, event, from_status, to_status, reason, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        c.id,
        clock.now(),
        actor.type,
        actor.id,
        event,
        c.status,
        to ?? c.status,
        extra.reason ?? null,
        JSON.stringify(extra.details ?? {}),
      ],
    );
    await recordAudit(tx, actor, {
      action: `contract.${event}`,
      entityType: 'contract',
      entityId: c.id,
      customerId: c.customer_id,
      details: { from: c.status, to: to ?? c.status, ...(extra.details ?? {}) },
    });
  }

  async function openTask(
    tx: Db,
    cal: BusinessCalendar,
    t: {
      kind: TaskKind;
      contract: ContractRow;
      assignee: 'operator' | 'unit';
      unitId: string | null;
      from?: Date;
    },
  ) {
    const dueAt = cal.addWorkingDays(t.from ?? clock.now(), STEP_WORKING_DAYS[t.kind]);
    const id = newId('tsk');
    await tx.query(
      `INSERT INTO tasks (id, kind, contract_id, customer_id, assignee, unit_id, due_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, t.kind, t.contract.id, t.contract.customer_id, t.assignee, t.unitId, dueAt, clock.now()],
    );
    const to =
      t.assignee === 'operator'
        ? (
            await tx.query<{ email: string }>(`SELECT email FROM users WHERE role = 'operator' AND active`)
          ).map((r) => r.email)
        : await repo.unitEmails(tx, t.unitId!);
    const mail = templates.taskCreated({
      kind: t.kind,
      contractId: t.contract.id,
      dueAt: dueAt.toISOString(),
    });
    for (const recipient of to) {
      await notifier.queue(tx, {
        channel: 'email',
        recipient,
        ...mail,
        template: 'task.created',
        entityType: 'task',
        entityId: id,
      });
    }
    return id;
  }

  async function closeTasks(tx: Db, contractId: string, kind: TaskKind, actor: Actor) {
    await tx.query(
      `UPDATE tasks SET status = 'done', done_at = $3, done_by = $4 WHERE contract_id = $1 AND kind = $2 AND status = 'open'`,
      [contractId, kind, clock.now(), actor.id],
    );
  }

  async function customerOf(tx: Db, id: string) {
    const [row] = await tx.query<{
      id: string;
      legal_name: string;
      contact_email: string | null;
      address: string | null;
      managing_unit_id: string | null;
    }>('SELECT id, legal_name, contact_email, address, managing_unit_id FROM customers WHERE id = $1', [id]);
    if (!row) throw httpError('ERR_NOT_FOUND', 'Customer not found');
    return row;
  }

  async function mailCustomer(
    tx: Db,
    c: ContractRow,
    mail: { subject: string; bodyText: string },
    template: string,
  ) {
    const cus = await customerOf(tx, c.customer_id);
    if (!cus.contact_email) return;
    await notifier.queue(tx, {
      channel: 'email',
      recipient: cus.contact_email,
      ...mail,
      template,
      entityType: 'contract',
      entityId: c.id,
    });
  }

  async function mailUnit(
    tx: Db,
    unitId: string,
    c: ContractRow,
    mail: { subject: string; bodyText: string },
    template: string,
  ) {
    for (const recipient of await repo.unitEmails(tx, unitId)) {
      await notifier.queue(tx, {
        channel: 'email',
        recipient,
        ...mail,
        template,
        entityType: 'contract',
        entityId: c.id,
      });
    }
  }

  /** The contract as the user may see it (404 outside the scope: ids must not reveal what exists). */
  async function visible(user: SessionUser, id: string): Promise<ContractRow> {
    const row = await repo.findContract(db, id, scopeOf(user));
    if (!row) throw contractError('ERR_CONTRACT_NOT_FOUND');
    return row;
  }

  /** Units act on the contracts they signed or whose customer they manage; staff on all. */
  function assertUnitMayAct(user: SessionUser, c: ContractRow, managingUnitId: string | null) {
    if (!UNIT_ROLES.has(user.role)) return;
    if (user.unitId !== c.signing_unit_id && user.unitId !== managingUnitId) {
      throw contractError('ERR_CUSTOMER_NOT_MANAGED');
    }
  }

  function assertState(c: ContractRow, ...allowed: ContractStatus[]) {
    if (!allowed.includes(c.status)) {
      throw contractError('ERR_CONTRACT_STATE', `Contract is ${c.status}; expected ${allowed.join(' or ')}`);
    }
  }

  /** Whether `unitId` may declare the renewal of `original` now (priority of the original unit). */
  async function renewalOpenTo(
    original: ContractRow,
    unitId: string,
    cal: BusinessCalendar,
  ): Promise<boolean> {
    if (unitId === original.signing_unit_id) return true;
    if (original.renewal_declined_at) return true;
    const windowStart = localInstant(addMonths(original.end_date, -1), 0);
    const priorityEnds = cal.addWorkingDays(windowStart, deps.config.renewalPriorityWorkingDays);
    return clock.now().getTime() > priorityEnds.getTime();
  }

  return {
    visible,

    async declare(user: SessionUser, actor: Actor, input: DeclareInput): Promise<ContractRow> {
      const cal = await calendar();
      const signingUnitId = UNIT_ROLES.has(user.role) ? user.unitId : (input.signing_unit_id ?? null);
      if (!signingUnitId) throw contractError('ERR_UNIT_REQUIRED');
      if (input.edition === 'cloud_saas' && !input.price_plan_code)
        throw contractError('ERR_CONTRACT_EDITION_TERMS');
      if (input.edition === 'on_premise' && input.onprem_amount_vnd === undefined) {
        throw contractError('ERR_CONTRACT_EDITION_TERMS');
      }
      const customer = await customerOf(db, input.customer_id).catch(() => undefined);
      let original: ContractRow | undefined;
      if (input.renewal_of) {
        original = await repo.findContract(db, input.renewal_of);
        if (!original || original.customer_id !== input.customer_id)
          throw contractError('ERR_CONTRACT_NOT_FOUND');
        assertState(original, 'active', 'expiring', 'expired');
        if (original.renewed_by_contract_id) throw contractError('ERR_CONTRACT_STATE', 'Already renewed');
        if (!(await renewalOpenTo(original, signingUnitId, cal))) throw contractError('ERR_RENEWAL_PRIORITY');
      } else if (UNIT_ROLES.has(user.role)) {
        if (customer && !customer.managing_unit_id) throw contractError('ERR_CUSTOMER_UNASSIGNED');
        // Outside the unit's scope looks like missing.
        if (!customer || !(await findCustomerInScope(db, scopeOf(user), input.customer_id))) {
          throw httpError('ERR_NOT_FOUND', 'Customer not found');
        }
      }
      if (!customer) throw httpError('ERR_NOT_FOUND', 'Customer not found');
      const [unit] = await db.query<{ kind: string }>('SELECT kind FROM units WHERE id = $1 AND active', [
        signingUnitId,
      ]);
      if (!unit) throw contractError('ERR_UNIT_REQUIRED', 'Unknown or inactive signing unit');

      const start = input.start_date ?? (original ? addDays(original.end_date, 1) : input.signed_at);
      const end = addDays(addMonths(start, input.term_months), -1);
      if (input.signed_at > cal.localDate(clock.now())) {
        throw contractError('ERR_CONTRACT_DATES', 'The signing date is in the future');
      }
      if (original && start <= original.start_date)
        throw contractError('ERR_CONTRACT_DATES', 'A renewal starts after the original');

      // Declared within 1 working day of signing? Kept on the timeline; late declarations are still accepted.
      const declareDue = cal.addWorkingDays(
        localInstant(input.signed_at, 12),
        STEP_WORKING_DAYS.declare_contract,
      );
      const late = clock.now().getTime() > declareDue.getTime();

      return db.transaction(async (tx) => {
        if (!original) {
          const open = await tx.query(
            `SELECT 1 FROM contracts WHERE customer_id = $1 AND status IN ('declared', 'provisioning', 'active', 'expiring', 'cancellation_requested')
               AND end_date >= $2::date`,
            [input.customer_id, start],
          );
          if (open.length > 0) throw contractError('ERR_CONTRACT_EXISTS');
        } else {
          const pending = await tx.query(
            `SELECT 1 FROM contracts WHERE renewal_of = $1 AND status IN ('declared', 'provisioning')`,
            [original.id],
          );
          if (pending.length > 0) throw contractError('ERR_CONTRACT_EXISTS', 'A renewal is already declared');
        }
        const id = newId('ctr');
        await tx.query(
          `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id,
             am_user_id, agent_unit_id, price_plan_code, signed_at, declared_at, renewal_of, onprem_amount_vnd, notes,
             payment_schedule, declared_by, updated_at)
           VALUES ($1, $2, $3, 'declared', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $12)`,
          [
            id,
            input.customer_id,
            input.edition,
            start,
            end,
            input.term_months,
            signingUnitId,
            input.am_user_id ?? null,
            input.agent_unit_id ?? (unit.kind === 'agent' ? signingUnitId : null),
            input.price_plan_code ?? null,
            input.signed_at,
            clock.now(),
            original?.id ?? null,
            input.onprem_amount_vnd ?? null,
            input.notes ?? null,
            input.payment_schedule ? JSON.stringify(input.payment_schedule) : null,
            user.id,
          ],
        );
        const created = (await repo.findContract(tx, id))!;
        await transition(
          tx,
          { ...created, status: 'declared' },
          null,
          actor,
          original ? 'renewal_declared' : 'declared',
          {
            details: {
              declare_due_at: declareDue.toISOString(),
              declared_late: late,
              renewal_of: original?.id ?? null,
            },
          },
        );
        await openTask(tx, cal, {
          kind: original ? 'process_renewal' : 'provision_account',
          contract: created,
          assignee: 'operator',
          unitId: null,
        });
        return created;
      });
    },

    /** Operator: tenant admin user + API key, handed back to the signing unit behind a one-time link. */
    async provision(user: SessionUser, actor: Actor, id: string, input: { admin_email?: string }) {
      const c = await visible(user, id);
      assertState(c, 'declared');
      if (c.renewal_of)
        throw contractError('ERR_CONTRACT_STATE', 'A renewal is completed with activate-renewal');
      const cal = await calendar();
      const customer = await customerOf(db, c.customer_id);
      const adminEmail = (input.admin_email ?? customer.contact_email ?? '').trim().toLowerCase();
      if (!adminEmail)
        throw httpError('ERR_VALIDATION', 'admin_email is required: the customer has no contact email');
      const [existing] = await db.query<{ id: string; customer_id: string | null }>(
        'SELECT id, customer_id FROM users WHERE lower(email) = $1',
        [adminEmail],
      );
      if (existing && existing.customer_id !== c.customer_id) {
        throw httpError('ERR_CONFLICT', 'This email belongs to another account');
      }
      const tempPassword = existing ? null : `${randomToken(9)}#A1`;
      const passwordHash = tempPassword ? await hashPassword(tempPassword) : null;
      // The key service runs its own transaction; revoke the key if the rest fails.
      const issued = await deps.apiKeys.create(c.customer_id, `Production key (${c.id})`, actor);
      const token = randomToken(32);
      const linkId = newId('lnk');
      const expiresAt = new Date(clock.now().getTime() + deps.config.secureLinkTtlHours * 3_600_000);
      const payload = encryptBlob(
        deps.masterKey,
        `link:${linkId}`,
        Buffer.from(
          JSON.stringify({
            contract_id: c.id,
            portal_url: deps.config.publicUrl,
            admin_login: adminEmail,
            temporary_password: tempPassword,
            api_key: issued.key,
            api_key_prefix: issued.apiKey.prefix,
          }),
        ),
      );
      // The portal page, which asks the unit to log in and then reads `/api/account-links/:token`.
      const linkUrl = `${deps.config.publicUrl}/app/account-links/${token}`;
      try {
        await db.transaction(async (tx) => {
          const locked = await repo.lockContract(tx, c.id);
          if (locked?.status !== 'declared') throw contractError('ERR_CONTRACT_STATE');
          let adminUserId = existing?.id ?? null;
          if (!existing) {
            adminUserId = newId('usr');
            await tx.query(
              `INSERT INTO users (id, email, full_name, password_hash, role, customer_id, must_change_password)
               VALUES ($1, $2, $3, $4, 'customer_admin', $5, true)`,
              [
                adminUserId,
                adminEmail,
                `Quản trị ${customer.legal_name}`.slice(0, 200),
                passwordHash,
                c.customer_id,
              ],
            );
          }
          await tx.query(
            `INSERT INTO secure_links (id, token_hash, contract_id, unit_id, payload, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [linkId, sha256(token), c.id, c.signing_unit_id, payload, clock.now(), expiresAt],
          );
          await transition(tx, locked, 'provisioning', actor, 'provisioned', {
            details: { admin_user_id: adminUserId, api_key_id: issued.apiKey.id, link_id: linkId },
          });
          await closeTasks(tx, c.id, 'provision_account', actor);
          await openTask(tx, cal, {
            kind: 'deliver_account_details',
            contract: locked,
            assignee: 'unit',
            unitId: c.signing_unit_id,
          });
          await mailUnit(
            tx,
            c.signing_unit_id,
            c,
            templates.provisioned({
              contractId: c.id,
              customerName: customer.legal_name,
              linkUrl,
              expiresAt: expiresAt.toISOString(),
            }),
            'contract.provisioned',
          );
        });
      } catch (err) {
        await deps.apiKeys.revoke(issued.apiKey.id, systemActor, async () => true).catch(() => {});
        throw err;
      }
      return {
        contract: (await repo.findContract(db, c.id))!,
        link_url: linkUrl,
        link_expires_at: expiresAt,
        api_key_prefix: issued.apiKey.prefix,
      };
    },

    /** Opens a one-time link: the payload is returned once and wiped in the same statement. */
    async openLink(user: SessionUser, actor: Actor, token: string) {
      const [link] = await db.query<{
        id: string;
        unit_id: string | null;
        contract_id: string;
        expires_at: Date;
        opened_at: Date | null;
      }>('SELECT id, unit_id, contract_id, expires_at, opened_at FROM secure_links WHERE token_hash = $1', [
        sha256(token),
      ]);
      if (!link || (user.role !== 'admin' && user.unitId !== link.unit_id))
        throw contractError('ERR_LINK_INVALID');
      if (link.opened_at || link.expires_at.getTime() <= clock.now().getTime())
        throw contractError('ERR_LINK_USED');
      const opened = await db.transaction(async (tx) => {
        const [row] = await tx.query<{ payload: Uint8Array }>(
          `UPDATE secure_links s SET opened_at = $2, opened_by = $3, payload = NULL
           FROM (SELECT id, payload FROM secure_links WHERE id = $1 AND opened_at IS NULL FOR UPDATE) old
           WHERE s.id = old.id RETURNING old.payload`,
          [link.id, clock.now(), user.id],
        );
        if (!row) return undefined;
        const c = (await repo.findContract(tx, link.contract_id))!;
        await transition(tx, c, null, actor, 'account_details_opened', { details: { link_id: link.id } });
        return row.payload;
      });
      if (!opened) throw contractError('ERR_LINK_USED');
      return JSON.parse(decryptBlob(deps.masterKey, `link:${link.id}`, opened).toString('utf8')) as Record<
        string,
        unknown
      >;
    },

    /** The signing unit sent the details to the customer (system email or printed letter) → active. */
    async confirmDelivery(user: SessionUser, actor: Actor, id: string, channel: 'email' | 'letter') {
      const c = await visible(user, id);
      const customer = await customerOf(db, c.customer_id);
      assertUnitMayAct(user, c, customer.managing_unit_id);
      assertState(c, 'provisioning');
      await db.transaction(async (tx) => {
        const locked = (await repo.lockContract(tx, c.id))!;
        assertState(locked, 'provisioning');
        await tx.query('UPDATE contracts SET activated_at = $2, delivery_channel = $3 WHERE id = $1', [
          c.id,
          clock.now(),
          channel,
        ]);
        await transition(tx, locked, 'active', actor, 'activated', { details: { channel } });
        await closeTasks(tx, c.id, 'deliver_account_details', actor);
        const [admin] = await tx.query<{ email: string }>(
          `SELECT email FROM users WHERE customer_id = $1 AND role = 'customer_admin' ORDER BY created_at LIMIT 1`,
          [c.customer_id],
        );
        if (channel === 'email') {
          await mailCustomer(
            tx,
            c,
            templates.accountReady({
              customerName: customer.legal_name,
              contractId: c.id,
              loginEmail: admin?.email ?? '',
              portalUrl: deps.config.publicUrl,
            }),
            'contract.account_ready',
          );
        } else {
          await notifier.queue(tx, {
            channel: 'letter',
            recipient: [customer.legal_name, customer.address].filter(Boolean).join('\n'),
            subject: `Thông báo kích hoạt dịch vụ / Activation notice — ${c.id}`,
            bodyText: `PDF: /api/contracts/${c.id}/letter.pdf`,
            template: 'contract.account_letter',
            entityType: 'contract',
            entityId: c.id,
          });
        }
      });
      return (await repo.findContract(db, c.id))!;
    },

    async letterPdf(user: SessionUser, id: string): Promise<Buffer> {
      const c = await visible(user, id);
      const customer = await customerOf(db, c.customer_id);
      const [unit] = await db.query<{ name: string }>('SELECT name FROM units WHERE id = $1', [
        c.signing_unit_id,
      ]);
      const [admin] = await db.query<{ email: string }>(
        `SELECT email FROM users WHERE customer_id = $1 AND role = 'customer_admin' ORDER BY created_at LIMIT 1`,
        [c.customer_id],
      );
      return renderAccountLetter({
        customerName: customer.legal_name,
        customerAddress: customer.address,
        contractId: c.id,
        unitName: unit?.name ?? 'MobiFone',
        loginEmail: admin?.email ?? null,
        portalUrl: deps.config.publicUrl,
        startDate: c.start_date,
        endDate: c.end_date,
        date: await today(),
      });
    },

    /** The original unit passes on a renewal: other units may declare it at once. */
    async declineRenewal(user: SessionUser, actor: Actor, id: string, reason: string) {
      const c = await visible(user, id);
      if (UNIT_ROLES.has(user.role) && user.unitId !== c.signing_unit_id)
        throw contractError('ERR_CUSTOMER_NOT_MANAGED');
      assertState(c, 'active', 'expiring');
      await db.transaction(async (tx) => {
        await tx.query('UPDATE contracts SET renewal_declined_at = $2 WHERE id = $1', [c.id, clock.now()]);
        await transition(tx, c, null, actor, 'renewal_declined', { reason });
      });
      return (await repo.findContract(db, c.id))!;
    },

    /** Operator extends the term: the renewal becomes active, the original `renewed`. */
    async activateRenewal(user: SessionUser, actor: Actor, id: string) {
      const r = await visible(user, id);
      if (!r.renewal_of) throw contractError('ERR_CONTRACT_STATE', 'Not a renewal');
      assertState(r, 'declared');
      await db.transaction(async (tx) => {
        const renewal = (await repo.lockContract(tx, r.id))!;
        assertState(renewal, 'declared');
        const original = (await repo.lockContract(tx, r.renewal_of!))!;
        await tx.query('UPDATE contracts SET activated_at = $2 WHERE id = $1', [r.id, clock.now()]);
        await transition(tx, renewal, 'active', actor, 'renewal_activated', {
          details: { renewal_of: original.id },
        });
        await tx.query('UPDATE contracts SET renewed_by_contract_id = $2 WHERE id = $1', [original.id, r.id]);
        await transition(
          tx,
          original,
          original.status === 'expired' ? 'expired' : 'renewed',
          actor,
          'renewed',
          {
            details: { renewed_by: r.id },
          },
        );
        // A renewal signed by another unit moves the customer to it.
        await tx.query(
          'UPDATE customers SET managing_unit_id = $2, updated_at = $3 WHERE id = $1 AND managing_unit_id IS DISTINCT FROM $2',
          [r.customer_id, r.signing_unit_id, clock.now()],
        );
        await closeTasks(tx, r.id, 'process_renewal', actor);
        const customer = await customerOf(tx, r.customer_id);
        const mail = templates.renewed({
          customerName: customer.legal_name,
          contractId: r.id,
          startDate: r.start_date,
          endDate: r.end_date,
        });
        await mailUnit(tx, r.signing_unit_id, r, mail, 'contract.renewed');
        await mailCustomer(tx, r, mail, 'contract.renewed');
      });
      return (await repo.findContract(db, r.id))!;
    },

    /** The unit declares the customer's cancellation: effective date (first day without service) and reason. */
    async requestCancellation(
      user: SessionUser,
      actor: Actor,
      id: string,
      input: { effective_date: string; reason: string; requested_on: string },
    ) {
      const c = await visible(user, id);
      const customer = await customerOf(db, c.customer_id);
      assertUnitMayAct(user, c, customer.managing_unit_id);
      assertState(c, 'active', 'expiring', 'provisioning');
      const cal = await calendar();
      const todayLocal = cal.localDate(clock.now());
      if (input.requested_on > todayLocal)
        throw contractError('ERR_CONTRACT_DATES', 'The request date is in the future');
      if (input.effective_date < todayLocal || input.effective_date < input.requested_on) {
        throw contractError('ERR_CONTRACT_DATES', 'The effective date cannot be in the past');
      }
      const due = cal.addWorkingDays(
        localInstant(input.requested_on, 12),
        STEP_WORKING_DAYS.declare_cancellation,
      );
      await db.transaction(async (tx) => {
        const locked = (await repo.lockContract(tx, c.id))!;
        assertState(locked, 'active', 'expiring', 'provisioning');
        await tx.query(
          'UPDATE contracts SET cancel_effective_date = $2, cancel_reason = $3, cancel_requested_on = $4 WHERE id = $1',
          [c.id, input.effective_date, input.reason, input.requested_on],
        );
        await transition(tx, locked, 'cancellation_requested', actor, 'cancellation_requested', {
          reason: input.reason,
          details: {
            effective_date: input.effective_date,
            declare_due_at: due.toISOString(),
            declared_late: clock.now().getTime() > due.getTime(),
          },
        });
        await openTask(tx, cal, {
          kind: 'process_cancellation',
          contract: locked,
          assignee: 'operator',
          unitId: null,
        });
      });
      return (await repo.findContract(db, c.id))!;
    },

    /** Operator configures the cancellation; notices to the unit and the customer. */
    async confirmCancellation(user: SessionUser, actor: Actor, id: string) {
      const c = await visible(user, id);
      assertState(c, 'cancellation_requested');
      const todayLocal = await today();
      await db.transaction(async (tx) => {
        const locked = (await repo.lockContract(tx, c.id))!;
        assertState(locked, 'cancellation_requested');
        const done = await tx.query(
          `SELECT 1 FROM contract_events WHERE contract_id = $1 AND event = 'cancellation_configured'
             AND id > (SELECT max(id) FROM contract_events WHERE contract_id = $1 AND event = 'cancellation_requested')`,
          [c.id],
        );
        if (done.length > 0) throw contractError('ERR_CONTRACT_STATE', 'Already configured');
        const effectiveNow = locked.cancel_effective_date! <= todayLocal;
        await transition(tx, locked, effectiveNow ? 'cancelled' : null, actor, 'cancellation_configured', {
          details: { effective_date: locked.cancel_effective_date },
        });
        await closeTasks(tx, c.id, 'process_cancellation', actor);
        const customer = await customerOf(tx, c.customer_id);
        const mail = templates.cancellation({
          customerName: customer.legal_name,
          contractId: c.id,
          effectiveDate: locked.cancel_effective_date!,
          retentionDays: deps.config.retentionDays,
        });
        await mailUnit(tx, c.signing_unit_id, c, mail, 'contract.cancellation');
        await mailCustomer(tx, c, mail, 'contract.cancellation');
      });
      return (await repo.findContract(db, c.id))!;
    },

    async storeSignedFile(user: SessionUser, actor: Actor, id: string, file: { name: string; data: Buffer }) {
      const c = await visible(user, id);
      const customer = await customerOf(db, c.customer_id);
      assertUnitMayAct(user, c, customer.managing_unit_id);
      if (file.data.length < 8 || file.data.subarray(0, 5).toString('latin1') !== '%PDF-') {
        throw contractError('ERR_FILE_NOT_PDF');
      }
      const fileId = newId('fil');
      const key = `contracts/${c.id}/${fileId}.pdf`;
      // Sealed under the customer's data key, so crypto-shredding the customer also erases its contracts.
      await deps.blobs.put(key, file.data, { owner: c.customer_id });
      const sha = createHash('sha256').update(file.data).digest('hex');
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO contract_files (id, contract_id, storage_key, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at)
           VALUES ($1, $2, $3, $4, 'application/pdf', $5, $6, $7, $8)`,
          [
            fileId,
            c.id,
            key,
            file.name.replace(/[^\w.\- ]/g, '_').slice(0, 200) || 'contract.pdf',
            file.data.length,
            sha,
            user.id,
            clock.now(),
          ],
        );
        await transition(tx, c, null, actor, 'signed_file_uploaded', {
          details: { file_id: fileId, sha256: sha },
        });
      });
      return { id: fileId, size_bytes: file.data.length, sha256: sha };
    },

    async signedFile(user: SessionUser, id: string) {
      const c = await visible(user, id);
      const [f] = await db.query<{ storage_key: string; file_name: string }>(
        'SELECT storage_key, file_name FROM contract_files WHERE contract_id = $1 ORDER BY uploaded_at DESC, id DESC LIMIT 1',
        [c.id],
      );
      const data = f ? await deps.blobs.get(f.storage_key) : undefined;
      if (!f || !data) throw contractError('ERR_FILE_NOT_FOUND');
      return { name: f.file_name, data };
    },

    /**
     * Daily lifecycle (idempotent): renewal reminders once per milestone, `expiring` one month before
     * the end, `expired` after it, `cancelled` at the effective date.
     */
    async runDaily(): Promise<{ reminders: number; transitions: number }> {
      const cal = await calendar();
      const d = cal.localDate(clock.now());
      let reminders = 0;
      let transitions = 0;

      const candidates = await db.query<ContractRow>(
        `SELECT ${repo.CONTRACT_COLUMNS} FROM contracts c
         WHERE c.status IN ('active', 'expiring') AND c.renewed_by_contract_id IS NULL
           AND c.end_date >= $1::date AND c.end_date <= ($1::date + 31)`,
        [d],
      );
      for (const c of candidates) {
        const milestone: 'm1' | 'd7' | null =
          addDays(c.end_date, -7) <= d ? 'd7' : addMonths(c.end_date, -1) <= d ? 'm1' : null;
        if (!milestone) continue;
        const sent = await db.transaction(async (tx) => {
          const [claimed] = await tx.query(
            `INSERT INTO contract_reminders (contract_id, milestone, sent_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING contract_id`,
            [c.id, milestone, clock.now()],
          );
          if (!claimed) return false;
          const customer = await customerOf(tx, c.customer_id);
          const mail = templates.renewalReminder({
            customerName: customer.legal_name,
            contractId: c.id,
            endDate: c.end_date,
            milestone,
          });
          await mailCustomer(tx, c, mail, `contract.renewal_reminder_${milestone}`);
          const units = new Set(
            [c.signing_unit_id, customer.managing_unit_id].filter((u): u is string => !!u),
          );
          for (const u of units) await mailUnit(tx, u, c, mail, `contract.renewal_reminder_${milestone}`);
          await transition(
            tx,
            c,
            c.status === 'active' ? 'expiring' : null,
            systemActor,
            `renewal_reminder_${milestone}`,
          );
          return true;
        });
        if (sent) reminders++;
      }

      const ending = await db.query<ContractRow>(
        `SELECT ${repo.CONTRACT_COLUMNS} FROM contracts c
         WHERE (c.status IN ('active', 'expiring') AND c.end_date < $1::date)
            OR (c.status = 'cancellation_requested' AND c.cancel_effective_date <= $1::date)`,
        [d],
      );
      for (const c of ending) {
        const changed = await db.transaction(async (tx) => {
          const locked = (await repo.lockContract(tx, c.id))!;
          const cancelled = locked.status === 'cancellation_requested' && locked.cancel_effective_date! <= d;
          const expired = ['active', 'expiring'].includes(locked.status) && locked.end_date < d;
          if (!cancelled && !expired) return false;
          await transition(
            tx,
            locked,
            cancelled ? 'cancelled' : 'expired',
            systemActor,
            cancelled ? 'cancelled' : 'expired',
          );
          const customer = await customerOf(tx, c.customer_id);
          const mail = templates.ended({
            customerName: customer.legal_name,
            contractId: c.id,
            date: cancelled ? locked.cancel_effective_date! : addDays(locked.end_date, 1),
            reason: cancelled ? 'cancelled' : 'expired',
          });
          await mailUnit(tx, c.signing_unit_id, c, mail, `contract.${cancelled ? 'cancelled' : 'expired'}`);
          await mailCustomer(tx, c, mail, `contract.${cancelled ? 'cancelled' : 'expired'}`);
          return true;
        });
        if (changed) transitions++;
      }
      return { reminders, transitions };
    },

    /** Escalates each overdue open task once: notice to the unit's manager and the admins. */
    async escalateOverdue(): Promise<number> {
      const overdue = await db.query<repo.TaskRow>(
        `SELECT * FROM tasks WHERE status = 'open' AND escalated_at IS NULL AND due_at < $1 ORDER BY due_at LIMIT 500`,
        [clock.now()],
      );
      let n = 0;
      for (const t of overdue) {
        const done = await db.transaction(async (tx) => {
          const [claimed] = await tx.query(
            `UPDATE tasks SET escalated_at = $2 WHERE id = $1 AND escalated_at IS NULL AND status = 'open' RETURNING id`,
            [t.id, clock.now()],
          );
          if (!claimed) return false;
          const mail = templates.escalation({
            kind: t.kind,
            contractId: t.contract_id,
            dueAt: t.due_at.toISOString(),
            taskId: t.id,
          });
          for (const recipient of await repo.escalationEmails(tx, t.unit_id)) {
            await notifier.queue(tx, {
              channel: 'email',
              recipient,
              ...mail,
              template: 'task.escalation',
              entityType: 'task',
              entityId: t.id,
            });
          }
          await recordAudit(tx, systemActor, {
            action: 'task.escalated',
            entityType: 'task',
            entityId: t.id,
            customerId: t.customer_id,
          });
          return true;
        });
        if (done) n++;
      }
      return n;
    },
  };
}

export type ContractService = ReturnType<typeof createContractService>;
