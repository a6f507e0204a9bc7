import nodemailer from 'nodemailer';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';

export interface NoticeInput {
  channel: 'email' | 'letter';
  /** An email address, or for a letter the postal address block. */
  recipient: string;
  subject: string;
  /** Vietnamese first, English after. */
  bodyText: string;
  /** Which template produced it, e.g. `contract.account_details`, for filtering the outbox. */
  template: string;
  entityType?: string;
  entityId?: string;
}

export interface NoticeRow {
  id: string;
  channel: 'email' | 'letter';
  recipient: string;
  subject: string;
  body_text: string;
  template: string;
  entity_type: string | null;
  entity_id: string | null;
  status: 'queued' | 'sent' | 'failed' | 'printed';
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const MAX_ATTEMPTS = 5;

/**
 * Every email or letter goes into the `notices` table first, inside the transaction of the change
 * that caused it, so a notice is never lost nor sent for a change that rolled back. With SMTP
 * configured, `deliverPending` (a job) sends queued emails; without it the table is the outbox.
 */
export function createNotifier(deps: { db: Db; clock: Clock; smtpUrl?: string; mailFrom: string }) {
  const transport = deps.smtpUrl ? nodemailer.createTransport(deps.smtpUrl) : null;

  return {
    async queue(tx: Db, notice: NoticeInput): Promise<string> {
      const id = newId('ntc');
      await tx.query(
        `INSERT INTO notices (id, channel, recipient, subject, body_text, template, entity_type, entity_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          id,
          notice.channel,
          notice.recipient,
          notice.subject,
          notice.bodyText,
          notice.template,
          notice.entityType ?? null,
          notice.entityId ?? null,
        ],
      );
      return id;
    },

    /** Sends queued emails; returns how many were sent. Safe to run twice at once (rows are claimed). */
    async deliverPending(limit = 50): Promise<number> {
      if (!transport) return 0;
      let sent = 0;
      for (;;) {
        const claimed = await deps.db.transaction(async (tx) => {
          const rows = await tx.query<NoticeRow>(
            `SELECT * FROM notices WHERE channel = 'email' AND status = 'queued' AND attempts < $1
             ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [MAX_ATTEMPTS],
          );
          const row = rows[0];
          if (!row) return null;
          try {
            await transport.sendMail({
              from: deps.mailFrom,
              to: row.recipient,
              subject: row.subject,
              text: row.body_text,
            });
            await tx.query(
              `UPDATE notices SET status = 'sent', sent_at = $2, attempts = attempts + 1 WHERE id = $1`,
              [row.id, deps.clock.now()],
            );
          } catch (err) {
            await tx.query(
              `UPDATE notices SET attempts = attempts + 1, last_error = $2,
                 status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'queued' END WHERE id = $1`,
              [row.id, String((err as Error).message).slice(0, 500), MAX_ATTEMPTS],
            );
          }
          return row;
        });
        if (!claimed) return sent;
        sent++;
        if (sent >= limit) return sent;
      }
    },

    async list(filter: {
      status?: string;
      entityId?: string;
      limit?: number;
      offset?: number;
    }): Promise<NoticeRow[]> {
      const params: unknown[] = [];
      const where: string[] = [];
      if (filter.status) where.push(`status = $${params.push(filter.status)}`);
      if (filter.entityId) where.push(`entity_id = $${params.push(filter.entityId)}`);
      params.push(Math.min(filter.limit ?? 100, 500), filter.offset ?? 0);
      return deps.db.query<NoticeRow>(
        `SELECT * FROM notices ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY created_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
        params as string[],
      );
    },

    async markPrinted(id: string): Promise<void> {
      await deps.db.query(
        `UPDATE notices SET status = 'printed', sent_at = $2 WHERE id = $1 AND channel = 'letter'`,
        [id, deps.clock.now()],
      );
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
