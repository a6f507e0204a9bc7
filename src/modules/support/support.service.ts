import { createHash } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { SessionUser } from '../accounts/roles.ts';
import { type Scope, scopeOf } from '../accounts/scope.ts';
import { type Actor, recordAudit, systemActor } from '../audit/audit.ts';
import type { Notifier } from '../notify/notify.service.ts';
import { parseEmail } from './email.ts';
import {
  dueAt,
  elapsedMs,
  isCallbackTimeValid,
  type SlaCalendar,
  type SlaTarget,
  slaView,
  switchClock,
} from './sla.ts';
import { supportError } from './support.errors.ts';
import type { AttachmentMeta, EventRow, RequestRow } from './support.repo.ts';
import * as repo from './support.repo.ts';
import {
  type Action,
  type Channel,
  canTransition,
  FIRST_RESPONSE_ACTIONS,
  HOTLINES,
  type Priority,
  type Queue,
  queueFromText,
  SLA_RUNNING,
  type Status,
  TRANSITIONS,
} from './workflow.ts';

/** Who may change requests: the desk. Everyone else in scope reads. */
export const DESK_ROLES = ['admin', 'support_agent'] as const;

export interface Viewer {
  user: SessionUser;
  scope: Scope;
  desk: boolean;
  /** Internal notes, SLA, assignment: MobiFone staff only, never the customer. */
  internal: boolean;
  queues: Queue[] | null;
}

export interface CallIntake {
  callerName: string;
  callerPhone: string;
  customerId?: string | undefined;
  /** The caller's choice on the hotline menu. */
  choice: Queue;
  category: string;
  priority?: Priority | undefined;
  subject?: string | undefined;
  description: string;
  callerEmail?: string | undefined;
}

export interface PortalFiling {
  queue?: Queue | undefined;
  category: string;
  priority?: Priority | undefined;
  subject: string;
  description: string;
  verificationSessionId?: string | undefined;
}

const ATTACHMENT_MAX = 5 * 1024 * 1024;
const ATTACHMENTS_PER_REQUEST = 10;
const CALENDAR_TTL_MS = 60_000;

/** The content type from the bytes, not from the client's word. */
export function sniffAttachment(bytes: Buffer): string | null {
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  // Plain text: valid UTF-8 without control bytes other than tab/newline.
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (![...text].some(isControl)) return 'text/plain';
  } catch {
    /* not text */
  }
  return null;
}

/** Control characters other than tab, newline and carriage return. */
function isControl(c: string): boolean {
  const n = c.charCodeAt(0);
  return (n < 0x20 && n !== 0x09 && n !== 0x0a && n !== 0x0d) || n === 0x7f;
}

function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? 'file';
  const clean = base
    .replace(/["<>|*?:]/g, '_')
    .split('')
    .map((c) => (c.charCodeAt(0) < 0x20 ? '_' : c))
    .join('')
    .trim()
    .slice(0, 120);
  return clean || 'file';
}

export function createSupportService(deps: {
  db: Db;
  clock: Clock;
  notifier: Notifier;
  loadCalendar: (db: Db) => Promise<SlaCalendar>;
}) {
  const { db, clock, notifier } = deps;
  let cached: { at: number; cal: SlaCalendar } | undefined;
  /** Inside a transaction pass `tx`: PGlite has one connection, a query on `db` would wait forever. */
  async function calendar(q: Db = db): Promise<SlaCalendar> {
    const now = clock.now().getTime();
    if (!cached || Math.abs(now - cached.at) > CALENDAR_TTL_MS)
      cached = { at: now, cal: await deps.loadCalendar(q) };
    return cached.cal;
  }

  /** All targets at once, for loops over many requests. */
  async function targetPicker(q: Db = db) {
    const all = await repo.slaTargets(q);
    return (queue: Queue, priority: Priority): SlaTarget => {
      const t = all.find((x) => x.queue === queue && x.priority === priority);
      if (!t) throw new Error(`no SLA target for ${queue}/${priority}`);
      return t;
    };
  }

  async function targetFor(queue: Queue, priority: Priority, q: Db = db): Promise<SlaTarget> {
    const t = (await repo.slaTargets(q)).find((x) => x.queue === queue && x.priority === priority);
    if (!t) throw new Error(`no SLA target for ${queue}/${priority}`);
    return t;
  }

  async function viewerFor(user: SessionUser): Promise<Viewer> {
    const desk = (DESK_ROLES as readonly string[]).includes(user.role);
    return {
      user,
      scope: scopeOf(user),
      desk,
      internal: user.role !== 'customer_admin',
      queues: user.role === 'support_agent' ? await repo.agentQueues(db, user.id) : null,
    };
  }

  async function mustFind(v: Viewer, id: string): Promise<RequestRow> {
    const row = await repo.findVisible(db, v, id);
    if (!row) throw supportError('ERR_SUPPORT_NOT_FOUND');
    return row;
  }

  /**
   * One change of state, with the SLA bookkeeping: the clock is banked and runs or pauses by the
   * new state, first response and resolution times are taken, due dates and breaches recomputed.
   */
  async function change(
    tx: Db,
    row: RequestRow,
    actor: Actor,
    to: Status,
    opts: {
      note?: string | undefined;
      firstResponse?: boolean;
      fields?: Partial<RequestRow>;
      kind?: 'status' | 'created';
    } = {},
  ): Promise<RequestRow> {
    const now = clock.now();
    const cal = await calendar(tx);
    const target = await targetFor(row.queue, row.priority, tx);
    const before = { activeMs: Number(row.sla_active_ms), runningSince: row.sla_running_since };
    const elapsed = elapsedMs(before, now, cal);
    const clockAfter = switchClock(before, now, SLA_RUNNING.has(to), cal);
    const fields: Partial<RequestRow> = { ...opts.fields, status: to, updated_at: now };
    fields.sla_active_ms = clockAfter.activeMs;
    fields.sla_running_since = clockAfter.runningSince;
    let firstResponseMs = row.first_response_ms === null ? null : Number(row.first_response_ms);
    if (opts.firstResponse && row.first_response_at === null) {
      firstResponseMs = elapsed;
      fields.first_response_at = now;
      fields.first_response_ms = elapsed;
      if (elapsed > target.firstResponseHours * 3_600_000 && !row.first_response_breached_at)
        fields.first_response_breached_at = now;
    }
    if (to === 'resolved') {
      fields.resolved_at = now;
      fields.resolution_ms = elapsed;
      if (elapsed > target.resolutionHours * 3_600_000 && !row.resolution_breached_at)
        fields.resolution_breached_at = now;
    }
    fields.first_response_due_at =
      firstResponseMs === null ? dueAt(clockAfter, target.firstResponseHours, cal) : null;
    fields.resolution_due_at = dueAt(clockAfter, target.resolutionHours, cal);
    await repo.updateRequest(tx, row.id, fields);
    await repo.insertEvent(tx, {
      request_id: row.id,
      at: now,
      actor_type: actor.type,
      actor_id: actor.id,
      kind: opts.kind ?? 'status',
      from_status: opts.kind === 'created' ? null : row.status,
      to_status: to,
      visibility: 'internal',
      body: opts.note ?? null,
      satisfied: null,
    });
    await recordAudit(tx, actor, {
      action: `support.${to}`,
      entityType: 'support_request',
      entityId: row.id,
      customerId: row.customer_id,
      details: { from: row.status, to },
    });
    return { ...row, ...fields } as RequestRow;
  }

  async function publicEvent(
    tx: Db,
    row: RequestRow,
    actor: Actor,
    kind: 'reply' | 'review' | 'notice',
    body: string | null,
    satisfied: boolean | null = null,
  ) {
    await repo.insertEvent(tx, {
      request_id: row.id,
      at: clock.now(),
      actor_type: actor.type,
      actor_id: actor.id,
      kind,
      from_status: null,
      to_status: null,
      visibility: 'public',
      body,
      satisfied,
    });
  }

  async function create(
    tx: Db,
    actor: Actor,
    input: {
      customerId: string | null;
      queue: Queue;
      category: string;
      priority: Priority;
      channel: Channel;
      subject: string;
      description: string;
      contactName: string | null;
      contactPhone: string | null;
      contactEmail: string | null;
      verificationSessionId: string | null;
      emailMessageId: string | null;
      assignedTo: string | null;
      receivedAt?: Date;
    },
  ): Promise<RequestRow> {
    const now = clock.now();
    const id = newId('sup');
    const base = {
      id,
      customer_id: input.customerId,
      queue: input.queue,
      hotline: HOTLINES[input.queue],
      category: input.category,
      priority: input.priority,
      channel: input.channel,
      status: 'received' as Status,
      subject: input.subject,
      description: input.description,
      contact_name: input.contactName,
      contact_phone: input.contactPhone,
      contact_email: input.contactEmail,
      verification_session_id: input.verificationSessionId,
      email_message_id: input.emailMessageId,
      assigned_to: input.assignedTo,
      created_by_type: actor.type,
      created_by: actor.id,
      satisfied: null,
      sales_lead_unit_id: null,
      callback_at: null,
      callback_reminded_at: null,
      received_at: now,
      first_response_at: null,
      first_response_ms: null,
      resolved_at: null,
      resolution_ms: null,
      awaiting_review_since: null,
      closed_at: null,
      close_reason: null,
      sla_active_ms: 0,
      sla_running_since: now,
      first_response_due_at: null,
      resolution_due_at: null,
      first_response_breached_at: null,
      resolution_breached_at: null,
      updated_at: now,
    };
    await repo.insertRequest(tx, base);
    // The opening event sets the SLA clock and due dates like any other change.
    return change(tx, { ...base, reopen_count: 0 }, actor, 'received', {
      kind: 'created',
      note: `channel=${input.channel}`,
    });
  }

  /** Resolution notice by the channel the customer used; a phone caller is called back by the agent. */
  async function sendResolutionNotice(tx: Db, row: RequestRow, resolution: string): Promise<boolean> {
    if (row.channel === 'phone' || !row.contact_email) return false;
    await notifier.queue(tx, {
      channel: 'email',
      recipient: row.contact_email,
      subject: `[MobiFone eKYC] Yêu cầu ${row.id} đã được xử lý / Your request has been resolved`,
      bodyText: [
        `Yêu cầu hỗ trợ ${row.id} ("${row.subject}") đã được xử lý:`,
        resolution,
        '',
        'Vui lòng cho biết Quý khách có hài lòng với kết quả không (trên cổng thông tin hoặc trả lời email này).',
        `Hotline: ${row.hotline}`,
        '',
        `Your support request ${row.id} has been resolved (see above). Please tell us whether you are satisfied,`,
        `on the portal or by replying to this email. Hotline: ${row.hotline}`,
      ].join('\n'),
      template: 'support.resolved',
      entityType: 'support_request',
      entityId: row.id,
    });
    return true;
  }

  function presentEvent(e: EventRow, v: Viewer) {
    return {
      id: Number(e.id),
      at: e.at.toISOString(),
      kind: e.kind,
      from_status: e.from_status,
      to_status: e.to_status,
      visibility: e.visibility,
      body: v.internal || e.visibility === 'public' ? e.body : null,
      satisfied: e.satisfied,
      actor: v.internal
        ? { type: e.actor_type, id: e.actor_id }
        : {
            type: e.actor_id === v.user.id ? 'you' : e.actor_type === 'system' ? 'system' : 'mobifone',
            id: null,
          },
    };
  }

  function presentAttachment(a: AttachmentMeta) {
    return {
      id: a.id,
      filename: a.filename,
      content_type: a.content_type,
      size_bytes: a.size_bytes,
      sha256: a.sha256,
      visibility: a.visibility,
      created_at: a.created_at.toISOString(),
    };
  }

  async function present(row: RequestRow, v: Viewer, detail: boolean) {
    const base = {
      id: row.id,
      customer_id: row.customer_id,
      queue: row.queue,
      hotline: row.hotline,
      category: row.category,
      priority: row.priority,
      channel: row.channel,
      status: row.status,
      subject: row.subject,
      description: row.description,
      verification_session_id: row.verification_session_id,
      reopen_count: row.reopen_count,
      satisfied: row.satisfied,
      callback_at: row.callback_at?.toISOString() ?? null,
      received_at: row.received_at.toISOString(),
      first_response_at: row.first_response_at?.toISOString() ?? null,
      resolved_at: row.resolved_at?.toISOString() ?? null,
      closed_at: row.closed_at?.toISOString() ?? null,
      close_reason: row.close_reason,
    };
    const internal = v.internal
      ? {
          contact_name: row.contact_name,
          contact_phone: row.contact_phone,
          contact_email: row.contact_email,
          assigned_to: row.assigned_to,
          sales_lead_unit_id: row.sales_lead_unit_id,
          sla: slaView(row, await targetFor(row.queue, row.priority), clock.now(), await calendar()),
        }
      : {};
    if (!detail) return { ...base, ...internal };
    const publicOnly = !v.internal;
    return {
      ...base,
      ...internal,
      events: (await repo.listEvents(db, row.id, publicOnly)).map((e) => presentEvent(e, v)),
      attachments: (await repo.listAttachments(db, row.id, publicOnly)).map(presentAttachment),
    };
  }

  const service = {
    viewerFor,
    calendar,

    async intakeCall(actor: Actor, v: Viewer, input: CallIntake) {
      if (input.customerId && !(await repo.customerById(db, input.customerId)))
        throw supportError('ERR_SUPPORT_CUSTOMER_UNKNOWN');
      const row = await db.transaction((tx) =>
        create(tx, actor, {
          customerId: input.customerId ?? null,
          queue: input.choice,
          category: input.category,
          priority: input.priority ?? 'normal',
          channel: 'phone',
          subject: input.subject ?? input.description.slice(0, 120),
          description: input.description,
          contactName: input.callerName,
          contactPhone: input.callerPhone,
          contactEmail: input.callerEmail ?? null,
          verificationSessionId: null,
          emailMessageId: null,
          assignedTo: v.user.id,
        }),
      );
      return present(row, v, true);
    },

    async fileFromPortal(actor: Actor, v: Viewer, input: PortalFiling) {
      const customerId = v.user.customerId;
      if (!customerId) throw supportError('ERR_SUPPORT_CUSTOMER_UNKNOWN');
      const row = await db.transaction((tx) =>
        create(tx, actor, {
          customerId,
          queue: input.queue ?? queueFromText(`${input.category} ${input.subject}`),
          category: input.category,
          priority: input.priority ?? 'normal',
          channel: 'portal',
          subject: input.subject,
          description: input.description,
          contactName: v.user.fullName,
          contactPhone: null,
          contactEmail: v.user.email,
          verificationSessionId: input.verificationSessionId ?? null,
          emailMessageId: null,
          assignedTo: null,
        }),
      );
      return present(row, v, true);
    },

    /** Imports one RFC 822 message sent to the support address (see `POST /api/support/email-import`). */
    async importEmail(actor: Actor, v: Viewer, raw: Buffer) {
      const mail = parseEmail(raw);
      if (!mail || (!mail.text && !mail.subject)) throw supportError('ERR_SUPPORT_EMAIL_INVALID');
      if (mail.messageId) {
        const dup = await db.query('SELECT 1 FROM support_requests WHERE email_message_id = $1', [
          mail.messageId,
        ]);
        if (dup.length) throw supportError('ERR_SUPPORT_EMAIL_DUPLICATE');
      }
      const customerId = await repo.customerByEmail(db, mail.fromAddress);
      const subject = (mail.subject || mail.text.split('\n')[0] || 'Email').slice(0, 200);
      const row = await db.transaction(async (tx) => {
        const created = await create(tx, actor, {
          customerId,
          queue: queueFromText(`${mail.subject}\n${mail.text.slice(0, 2000)}`),
          category: 'email',
          priority: 'normal',
          channel: 'email',
          subject,
          description: mail.text.slice(0, 20_000) || subject,
          contactName: mail.fromName,
          contactPhone: null,
          contactEmail: mail.fromAddress,
          verificationSessionId: null,
          emailMessageId: mail.messageId,
          assignedTo: null,
        });
        let n = 0;
        for (const a of mail.attachments) {
          const type = sniffAttachment(a.bytes);
          if (
            !type ||
            a.bytes.length === 0 ||
            a.bytes.length > ATTACHMENT_MAX ||
            n >= ATTACHMENTS_PER_REQUEST
          )
            continue;
          await storeAttachment(tx, created, actor, a.filename, type, a.bytes, 'public');
          n++;
        }
        return created;
      });
      return present(row, v, true);
    },

    async list(v: Viewer, f: repo.ListFilter) {
      const rows = await repo.listVisible(db, v, f);
      return Promise.all(rows.map((r) => present(r, v, false)));
    },

    async get(v: Viewer, id: string) {
      return present(await mustFind(v, id), v, true);
    },

    async act(
      actor: Actor,
      v: Viewer,
      id: string,
      action: Action,
      input: {
        note?: string | undefined;
        callbackAt?: Date | undefined;
        resolution?: string | undefined;
        toldCustomer?: boolean | undefined;
      },
    ) {
      await mustFind(v, id);
      const row = await db.transaction(async (tx) => {
        const cur = await repo.lockRequest(tx, id);
        if (!cur) throw supportError('ERR_SUPPORT_NOT_FOUND');
        if (!canTransition(action, cur.status)) {
          throw supportError('ERR_SUPPORT_TRANSITION', `${action} is not possible from ${cur.status}`);
        }
        const fields: Partial<RequestRow> = {};
        if (!cur.assigned_to && actor.type === 'user') fields.assigned_to = actor.id;
        const fr = FIRST_RESPONSE_ACTIONS.has(action);
        if (action === 'schedule_callback') {
          if (!input.callbackAt || !isCallbackTimeValid(input.callbackAt, clock.now(), await calendar(tx)))
            throw supportError('ERR_SUPPORT_CALLBACK_TIME');
          fields.callback_at = input.callbackAt;
          fields.callback_reminded_at = null;
        }
        if (action === 'start' && cur.status === 'callback_scheduled') fields.callback_at = null;
        if (action === 'resolve') {
          if (!input.resolution)
            throw supportError('ERR_SUPPORT_TRANSITION', 'A resolution text is required');
          fields.callback_at = null;
        }
        if (action === 'cancel') {
          fields.closed_at = clock.now();
          fields.close_reason = 'cancelled';
        }
        let next = await change(tx, cur, actor, TRANSITIONS[action].to, {
          note: input.note,
          firstResponse: fr,
          fields,
        });
        if (action === 'schedule_callback') {
          await publicEvent(tx, next, actor, 'notice', `Callback at ${input.callbackAt!.toISOString()}`);
        }
        if (action === 'resolve') {
          await publicEvent(tx, next, actor, 'reply', input.resolution!);
          const emailed = await sendResolutionNotice(tx, next, input.resolution!);
          if (emailed || input.toldCustomer) {
            next = await change(tx, next, actor, 'awaiting_review', {
              note: emailed
                ? `resolution notice by ${next.channel}`
                : 'resolution told to the caller by phone',
              fields: { awaiting_review_since: clock.now() },
            });
          }
        }
        if (action === 'notified') {
          await tx.query('UPDATE support_requests SET awaiting_review_since = $2 WHERE id = $1', [
            id,
            clock.now(),
          ]);
          next = { ...next, awaiting_review_since: clock.now() };
        }
        return next;
      });
      return present(row, v, true);
    },

    /** A reply the customer sees. From the customer it answers a question and restarts the handling. */
    async reply(actor: Actor, v: Viewer, id: string, body: string) {
      await mustFind(v, id);
      const row = await db.transaction(async (tx) => {
        const cur = await repo.lockRequest(tx, id);
        if (!cur) throw supportError('ERR_SUPPORT_NOT_FOUND');
        if (cur.status === 'closed') throw supportError('ERR_SUPPORT_TRANSITION', 'The request is closed');
        await publicEvent(tx, cur, actor, 'reply', body);
        if (!v.internal) {
          return cur.status === 'waiting_customer'
            ? change(tx, cur, actor, 'in_progress', { note: 'customer answered' })
            : cur;
        }
        if (!v.desk) throw supportError('ERR_SUPPORT_NOT_FOUND');
        if (cur.first_response_at === null) {
          // The first answer from the desk: the clock keeps its state, only the time is taken.
          return change(tx, cur, actor, cur.status, { note: 'first reply', firstResponse: true });
        }
        return cur;
      });
      return present(row, v, true);
    },

    async internalNote(actor: Actor, v: Viewer, id: string, body: string) {
      await mustFind(v, id);
      await repo.insertEvent(db, {
        request_id: id,
        at: clock.now(),
        actor_type: actor.type,
        actor_id: actor.id,
        kind: 'internal_note',
        from_status: null,
        to_status: null,
        visibility: 'internal',
        body,
        satisfied: null,
      });
      return service.get(v, id);
    },

    /** The customer's review (or the desk recording what a caller said): satisfied closes, not satisfied reopens. */
    async review(actor: Actor, v: Viewer, id: string, satisfied: boolean, comment?: string) {
      await mustFind(v, id);
      const row = await db.transaction(async (tx) => {
        const cur = await repo.lockRequest(tx, id);
        if (!cur) throw supportError('ERR_SUPPORT_NOT_FOUND');
        if (cur.status !== 'awaiting_review' && cur.status !== 'resolved')
          throw supportError('ERR_SUPPORT_REVIEW_NOT_OPEN');
        await publicEvent(tx, cur, actor, 'review', comment ?? null, satisfied);
        if (satisfied) {
          return change(tx, cur, actor, 'closed', {
            note: 'customer satisfied',
            fields: { satisfied: true, closed_at: clock.now(), close_reason: 'satisfied' },
          });
        }
        return change(tx, cur, actor, 'reopened', {
          note: 'customer not satisfied',
          fields: {
            satisfied: false,
            reopen_count: cur.reopen_count + 1,
            awaiting_review_since: null,
            resolution_due_at: null,
          },
        });
      });
      return present(row, v, true);
    },

    /** A consulting call that ends as a sales lead for the customer's managing unit (else the IT Center). */
    async handToSales(actor: Actor, v: Viewer, id: string, note: string) {
      await mustFind(v, id);
      const row = await db.transaction(async (tx) => {
        const cur = await repo.lockRequest(tx, id);
        if (!cur) throw supportError('ERR_SUPPORT_NOT_FOUND');
        if (cur.queue !== 'consulting') throw supportError('ERR_SUPPORT_LEAD_QUEUE');
        if (cur.status === 'closed' || cur.status === 'awaiting_review')
          throw supportError('ERR_SUPPORT_TRANSITION', `a lead cannot be made from ${cur.status}`);
        const unit = await repo.leadUnit(tx, cur.customer_id);
        if (!unit) throw supportError('ERR_SUPPORT_TRANSITION', 'No sales unit to hand the lead to');
        const recipients = [unit.email, ...(await repo.unitUserEmails(tx, unit.id))].filter(
          (e): e is string => !!e,
        );
        for (const recipient of new Set(recipients)) {
          await notifier.queue(tx, {
            channel: 'email',
            recipient,
            subject: `[MobiFone eKYC] Khách hàng tiềm năng từ tổng đài tư vấn / Sales lead ${cur.id}`,
            bodyText: [
              `Tổng đài tư vấn (${cur.hotline}) chuyển một khách hàng tiềm năng cho đơn vị. Chi tiết: yêu cầu ${cur.id} trên cổng quản trị.`,
              note,
              '',
              `The consulting hotline hands you a sales lead: request ${cur.id} in the back office.`,
            ].join('\n'),
            template: 'support.sales_lead',
            entityType: 'support_request',
            entityId: cur.id,
          });
        }
        await repo.insertEvent(tx, {
          request_id: cur.id,
          at: clock.now(),
          actor_type: actor.type,
          actor_id: actor.id,
          kind: 'lead',
          from_status: null,
          to_status: null,
          visibility: 'internal',
          body: note,
          satisfied: null,
        });
        return change(tx, cur, actor, 'closed', {
          note: `sales lead handed to ${unit.id}`,
          firstResponse: true,
          fields: { sales_lead_unit_id: unit.id, closed_at: clock.now(), close_reason: 'sales_lead' },
        });
      });
      return present(row, v, true);
    },

    async addAttachment(
      actor: Actor,
      v: Viewer,
      id: string,
      file: { filename: string; bytes: Buffer },
      visibility: 'public' | 'internal',
    ) {
      await mustFind(v, id);
      if (file.bytes.length > ATTACHMENT_MAX) throw supportError('ERR_SUPPORT_ATTACHMENT_TOO_LARGE');
      const type = file.bytes.length ? sniffAttachment(file.bytes) : null;
      if (!type) throw supportError('ERR_SUPPORT_ATTACHMENT_TYPE');
      const vis = v.internal ? visibility : 'public';
      return db.transaction(async (tx) => {
        const cur = await repo.lockRequest(tx, id);
        if (!cur) throw supportError('ERR_SUPPORT_NOT_FOUND');
        if ((await repo.countAttachments(tx, id)) >= ATTACHMENTS_PER_REQUEST)
          throw supportError('ERR_SUPPORT_ATTACHMENT_LIMIT');
        return presentAttachment(await storeAttachment(tx, cur, actor, file.filename, type, file.bytes, vis));
      });
    },

    async attachment(v: Viewer, id: string, attachmentId: string) {
      await mustFind(v, id);
      const a = await repo.attachmentBytes(db, id, attachmentId);
      if (!a || (!v.internal && a.visibility !== 'public')) throw supportError('ERR_SUPPORT_NOT_FOUND');
      return a;
    },

    // ---- jobs ----

    /** Emails the agent before an agreed callback. Idempotent: each callback is reminded once. */
    async remindCallbacks(): Promise<number> {
      const settings = await repo.loadSettings(db);
      const now = clock.now();
      const horizon = new Date(now.getTime() + settings.callbackReminderMinutes * 60_000);
      const due = await db.query<RequestRow>(
        `SELECT * FROM support_requests WHERE status = 'callback_scheduled' AND callback_reminded_at IS NULL
           AND callback_at <= $1 ORDER BY callback_at LIMIT 200`,
        [horizon],
      );
      let sent = 0;
      for (const r of due) {
        await db.transaction(async (tx) => {
          const claimed = await tx.query(
            `UPDATE support_requests SET callback_reminded_at = $2 WHERE id = $1 AND callback_reminded_at IS NULL
               AND status = 'callback_scheduled' RETURNING id`,
            [r.id, now],
          );
          if (!claimed.length) return;
          const to =
            (r.assigned_to ? await repo.userEmail(tx, r.assigned_to) : null) ?? settings.escalationEmail;
          const at = r.callback_at!.toISOString();
          await notifier.queue(tx, {
            channel: 'email',
            recipient: to,
            subject: `[MobiFone eKYC] Nhắc gọi lại khách hàng / Callback reminder ${r.id}`,
            bodyText: `Đã hẹn gọi lại khách hàng lúc ${at} (yêu cầu ${r.id}, hotline ${r.hotline}).\n\nCallback agreed with the customer at ${at} for request ${r.id}.`,
            template: 'support.callback_reminder',
            entityType: 'support_request',
            entityId: r.id,
          });
          await repo.insertEvent(tx, {
            request_id: r.id,
            at: now,
            actor_type: 'system',
            actor_id: null,
            kind: 'notice',
            from_status: null,
            to_status: null,
            visibility: 'internal',
            body: 'callback reminder sent to the agent',
            satisfied: null,
          });
          sent++;
        });
      }
      return sent;
    },

    /** Closes requests left awaiting review for the configured number of working days. */
    async autoClose(): Promise<number> {
      const settings = await repo.loadSettings(db);
      const cal = await calendar();
      const now = clock.now();
      const waiting = await db.query<RequestRow>(
        `SELECT * FROM support_requests WHERE status = 'awaiting_review' AND awaiting_review_since IS NOT NULL
         ORDER BY awaiting_review_since LIMIT 500`,
      );
      let closed = 0;
      for (const r of waiting) {
        if (cal.addWorkingDays(r.awaiting_review_since!, settings.autoCloseWorkingDays) > now) continue;
        await db.transaction(async (tx) => {
          const cur = await repo.lockRequest(tx, r.id);
          if (cur?.status !== 'awaiting_review') return;
          await change(tx, cur, systemActor, 'closed', {
            note: `no review after ${settings.autoCloseWorkingDays} working days`,
            fields: { closed_at: now, close_reason: 'auto_closed' },
          });
          closed++;
        });
      }
      return closed;
    },

    /** Flags running requests past their first-response or resolution target and sends one escalation each. */
    async scanSla(): Promise<number> {
      const settings = await repo.loadSettings(db);
      const cal = await calendar();
      const now = clock.now();
      const rows = await db.query<RequestRow>(
        `SELECT * FROM support_requests WHERE sla_running_since IS NOT NULL AND
           ((first_response_at IS NULL AND first_response_breached_at IS NULL) OR resolution_breached_at IS NULL)`,
      );
      let escalated = 0;
      const pick = await targetPicker();
      for (const r of rows) {
        const target = pick(r.queue, r.priority);
        const view = slaView(r, target, now, cal);
        const fr =
          r.first_response_at === null && !r.first_response_breached_at && view.first_response.breached;
        const res = !r.resolution_breached_at && view.resolution.breached;
        if (!fr && !res) continue;
        await db.transaction(async (tx) => {
          const cur = await repo.lockRequest(tx, r.id);
          if (!cur) return;
          const fields: Partial<RequestRow> = {};
          if (fr && !cur.first_response_breached_at) fields.first_response_breached_at = now;
          if (res && !cur.resolution_breached_at) fields.resolution_breached_at = now;
          if (!Object.keys(fields).length) return;
          await repo.updateRequest(tx, cur.id, fields);
          const what = [fr ? 'first response' : null, res ? 'resolution' : null].filter(Boolean).join(' + ');
          const recipients = new Set([settings.escalationEmail]);
          if (cur.assigned_to) {
            const e = await repo.userEmail(tx, cur.assigned_to);
            if (e) recipients.add(e);
          }
          for (const recipient of recipients) {
            await notifier.queue(tx, {
              channel: 'email',
              recipient,
              subject: `[MobiFone eKYC] Quá hạn SLA / SLA breach (${what}) ${cur.id}`,
              bodyText: `Yêu cầu ${cur.id} (hàng ${cur.queue}, ưu tiên ${cur.priority}) đã quá hạn SLA: ${what}. Đã tính ${view.elapsed_hours} giờ làm việc.\n\nRequest ${cur.id} (${cur.queue} queue, ${cur.priority}) breached its ${what} target after ${view.elapsed_hours} working hours.`,
              template: 'support.sla_escalation',
              entityType: 'support_request',
              entityId: cur.id,
            });
          }
          await repo.insertEvent(tx, {
            request_id: cur.id,
            at: now,
            actor_type: 'system',
            actor_id: null,
            kind: 'escalation',
            from_status: null,
            to_status: null,
            visibility: 'internal',
            body: `SLA breach: ${what}`,
            satisfied: null,
          });
          escalated++;
        });
      }
      return escalated;
    },

    /** Requests past a target now (open ones, live) or flagged before; staff only. */
    async breaches(v: Viewer) {
      const cal = await calendar();
      const now = clock.now();
      const rows = await repo.listVisible(db, v, { limit: 10_000, offset: 0 });
      const out = [];
      const pick = await targetPicker();
      for (const r of rows) {
        const view = slaView(r, pick(r.queue, r.priority), now, cal);
        if (!view.first_response.breached && !view.resolution.breached) continue;
        out.push({
          id: r.id,
          queue: r.queue,
          priority: r.priority,
          status: r.status,
          customer_id: r.customer_id,
          assigned_to: r.assigned_to,
          received_at: r.received_at.toISOString(),
          first_response_breached: view.first_response.breached,
          resolution_breached: view.resolution.breached,
          escalated: !!(r.first_response_breached_at || r.resolution_breached_at),
          elapsed_hours: view.elapsed_hours,
        });
      }
      return out;
    },
  };

  async function storeAttachment(
    tx: Db,
    row: RequestRow,
    actor: Actor,
    filename: string,
    type: string,
    bytes: Buffer,
    visibility: 'public' | 'internal',
  ): Promise<AttachmentMeta> {
    const meta: AttachmentMeta = {
      id: newId('att'),
      request_id: row.id,
      filename: safeFilename(filename),
      content_type: type,
      size_bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      visibility,
      uploaded_by_type: actor.type,
      uploaded_by: actor.id,
      created_at: clock.now(),
    };
    await repo.insertAttachment(tx, { ...meta, bytes });
    await repo.insertEvent(tx, {
      request_id: row.id,
      at: clock.now(),
      actor_type: actor.type,
      actor_id: actor.id,
      kind: 'attachment',
      from_status: null,
      to_status: null,
      visibility,
      body: meta.id,
      satisfied: null,
    });
    return meta;
  }

  return service;
}

export type SupportService = ReturnType<typeof createSupportService>;
