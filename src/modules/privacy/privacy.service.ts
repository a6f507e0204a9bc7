import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { defineErrors } from '../../http/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Envelope } from '../../lib/crypto/envelope.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { newId } from '../../lib/ids.ts';
import type { BlobStore } from '../../lib/storage/blob-store.ts';
import { type Actor, recordAudit, systemActor } from '../audit/audit.ts';
import { openSessionPersonalData } from '../sessions/sessions.service.ts';

/**
 * Personal data under Decree 13/2023/ND-CP: retention per customer, consent records, data-subject
 * export and erasure, and crypto-shredding as the last step after a customer's contract ends.
 */
export const privacyError = defineErrors({
  ERR_SUBJECT_NOT_FOUND: { status: 404, title: 'No verification data for this data subject' },
  ERR_CONSENT_INVALID: { status: 400, title: 'The consent record is incomplete' },
});

const DAY = 86_400_000;
/** Contract states in which the customer is still served. */
const LIVE_CONTRACT = `('declared', 'provisioning', 'active', 'expiring', 'cancellation_requested')`;

export interface RetentionSettings {
  imageRetentionDays: number;
  resultRetentionDays: number;
}

export interface ConsentInput {
  customerId: string;
  sessionId: string;
  /** What the applicant agreed to, e.g. `ekyc_verification`. */
  purpose: string;
  /** Version label of the consent text shown (the customer's or ours). */
  textVersion: string;
  /** The text itself, if at hand: only its SHA-256 is kept. */
  text?: string;
  ip?: string | null;
}

export interface RetentionReport {
  customers: number;
  uploadsDeleted: number;
  resultsErased: number;
  blobsDeleted: number;
  customersShredded: number;
}

export interface SubjectQuery {
  sessionId?: string;
  subjectRef?: string;
  referenceId?: string;
}

interface SessionRow {
  id: string;
  reference_id: string;
  status: string;
  checks: unknown;
  declared: unknown;
  result: unknown;
  subject_ref: string | null;
  face_template_id: string | null;
  created_at: Date;
  completed_at: Date | null;
  erased_at: Date | null;
}

export function createPrivacyService(deps: {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'imageRetentionDays' | 'resultRetentionDays' | 'retentionDays'>;
  envelope?: Envelope;
  blobs?: BlobStore;
}) {
  const { db, clock, config } = deps;

  async function settingsFor(customerId: string, tx: Db = db): Promise<RetentionSettings> {
    const [row] = await tx.query<{ image_retention_days: number; result_retention_days: number }>(
      'SELECT image_retention_days, result_retention_days FROM privacy_settings WHERE customer_id = $1',
      [customerId],
    );
    return {
      imageRetentionDays: row?.image_retention_days ?? config.imageRetentionDays,
      resultRetentionDays: row?.result_retention_days ?? config.resultRetentionDays,
    };
  }

  /** Sessions of one data subject: by session id, the customer's reference, or the subject reference. */
  async function subjectSessions(customerId: string, q: SubjectQuery): Promise<SessionRow[]> {
    const conds: string[] = [];
    const params: unknown[] = [customerId];
    if (q.sessionId) conds.push(`id = $${params.push(q.sessionId)}`);
    if (q.subjectRef) conds.push(`subject_ref = $${params.push(q.subjectRef)}`);
    if (q.referenceId) conds.push(`reference_id = $${params.push(q.referenceId)}`);
    if (conds.length === 0) return [];
    return db.query<SessionRow>(
      `SELECT id, reference_id, status, checks, declared, result, subject_ref, face_template_id, created_at,
              completed_at, erased_at
         FROM verification_sessions WHERE customer_id = $1 AND (${conds.join(' OR ')}) ORDER BY created_at`,
      params as string[],
    );
  }

  /** Deletes a session's personal data in `tx`: uploads, extracted data, declared data, face template. */
  async function eraseSessionRows(tx: Db, ids: string[], now: Date) {
    if (ids.length === 0) return { uploads: 0 };
    const uploads = await tx.query(
      'DELETE FROM session_uploads WHERE session_id = ANY($1) RETURNING session_id',
      [ids],
    );
    await tx.query(
      `UPDATE verification_sessions SET result = NULL, declared = '{}', reference_id = '', subject_ref = NULL,
         capture_token_hash = NULL, capture_expires_at = NULL, redirect_url = NULL, review = NULL,
         erased_at = COALESCE(erased_at, $2), updated_at = $2,
         status = CASE WHEN status IN ('created', 'collecting', 'processing', 'resubmission_requested')
           THEN 'abandoned' ELSE status END
       WHERE id = ANY($1)`,
      [ids, now],
    );
    await tx.query(
      `UPDATE face_templates SET deleted_at = $2, descriptor = $3
         WHERE id IN (SELECT face_template_id FROM verification_sessions WHERE id = ANY($1)) AND deleted_at IS NULL`,
      [ids, now, Buffer.alloc(0)],
    );
    await tx.query('UPDATE consents SET ip = NULL WHERE session_id = ANY($1)', [ids]);
    return { uploads: uploads.length };
  }

  async function deleteSessionBlobs(ids: string[]): Promise<number> {
    if (!deps.blobs) return 0;
    let n = 0;
    for (const id of ids) {
      for (const key of await deps.blobs.list(`sessions/${id}/`)) {
        await deps.blobs.delete(key);
        n++;
      }
    }
    return n;
  }

  /**
   * Contract termination, last step: a customer without any live contract is scheduled for
   * shredding `retentionDays` after its last contract ended (the window in which its admin may
   * still export results); when due, its data is deleted and its data keys destroyed.
   */
  async function shredTerminated(): Promise<number> {
    const now = clock.now();
    await db.query(
      `INSERT INTO privacy_terminations (customer_id, terminated_at, shred_after)
       SELECT c.customer_id, t.ended, t.ended + make_interval(days => $1::int)
         FROM (SELECT DISTINCT customer_id FROM contracts) c
         CROSS JOIN LATERAL (
           SELECT max(COALESCE(x.cancel_effective_date, x.end_date + 1))::timestamptz AS ended
             FROM contracts x WHERE x.customer_id = c.customer_id) t
        WHERE NOT EXISTS (SELECT 1 FROM contracts l WHERE l.customer_id = c.customer_id AND l.status IN ${LIVE_CONTRACT})
          AND t.ended <= $2
       ON CONFLICT (customer_id) DO NOTHING`,
      [config.retentionDays, now],
    );
    // A customer who signed again is no longer terminated.
    await db.query(
      `DELETE FROM privacy_terminations p WHERE shredded_at IS NULL
         AND EXISTS (SELECT 1 FROM contracts l WHERE l.customer_id = p.customer_id AND l.status IN ${LIVE_CONTRACT})`,
    );
    const due = await db.query<{ customer_id: string }>(
      'SELECT customer_id FROM privacy_terminations WHERE shredded_at IS NULL AND shred_after <= $1',
      [now],
    );
    for (const { customer_id: customerId } of due) {
      const ids = (
        await db.query<{ id: string }>('SELECT id FROM verification_sessions WHERE customer_id = $1', [
          customerId,
        ])
      ).map((r) => r.id);
      await db.transaction(async (tx) => {
        await eraseSessionRows(tx, ids, now);
        await tx.query(
          'UPDATE face_templates SET deleted_at = $2, descriptor = $3 WHERE customer_id = $1 AND deleted_at IS NULL',
          [customerId, now, Buffer.alloc(0)],
        );
        await tx.query('UPDATE privacy_terminations SET shredded_at = $2 WHERE customer_id = $1', [
          customerId,
          now,
        ]);
        await recordAudit(tx, systemActor, {
          action: 'privacy.customer_shredded',
          entityType: 'customer',
          entityId: customerId,
          customerId,
          details: { sessions: ids.length },
        });
      });
      await deleteSessionBlobs(ids);
      // Last: whatever copy of its ciphertext survives (backups, object versions) stays unreadable.
      await deps.envelope?.shred(customerId);
    }
    return due.length;
  }

  return {
    settingsFor,
    shredTerminated,

    async setSettings(customerId: string, s: RetentionSettings, actor: Actor): Promise<RetentionSettings> {
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO privacy_settings (customer_id, image_retention_days, result_retention_days, updated_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (customer_id) DO UPDATE SET image_retention_days = $2, result_retention_days = $3, updated_at = $4`,
          [customerId, s.imageRetentionDays, s.resultRetentionDays, clock.now()],
        );
        await recordAudit(tx, actor, {
          action: 'privacy.retention_set',
          entityType: 'customer',
          entityId: customerId,
          customerId,
          details: { image_days: s.imageRetentionDays, result_days: s.resultRetentionDays },
        });
      });
      return settingsFor(customerId);
    },

    /**
     * Records the applicant's consent for a session. For the sessions module: call it in the
     * transaction that accepts the consent (hosted capture page or `POST /v1/sessions` with consent).
     */
    async recordConsent(input: ConsentInput, tx: Db = db): Promise<string> {
      if (
        !input.sessionId ||
        !/^[a-z0-9_.-]{1,64}$/i.test(input.purpose) ||
        !/^[\w.:-]{1,64}$/.test(input.textVersion)
      ) {
        throw privacyError('ERR_CONSENT_INVALID');
      }
      const id = newId('cns');
      await tx.query(
        `INSERT INTO consents (id, customer_id, session_id, purpose, text_version, text_sha256, granted_at, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          id,
          input.customerId,
          input.sessionId,
          input.purpose,
          input.textVersion,
          input.text === undefined ? null : sha256Hex(input.text),
          clock.now(),
          input.ip ?? null,
        ],
      );
      return id;
    },

    async consentsFor(customerId: string, sessionId: string) {
      const rows = await db.query<{
        id: string;
        purpose: string;
        text_version: string;
        text_sha256: string | null;
        granted_at: Date;
        ip: string | null;
        withdrawn_at: Date | null;
      }>(
        `SELECT id, purpose, text_version, text_sha256, granted_at, ip, withdrawn_at FROM consents
          WHERE customer_id = $1 AND session_id = $2 ORDER BY granted_at`,
        [customerId, sessionId],
      );
      return rows.map((r) => ({
        ...r,
        granted_at: r.granted_at.toISOString(),
        withdrawn_at: r.withdrawn_at?.toISOString() ?? null,
      }));
    },

    /** Everything held about one data subject of `customerId` (Decree 13 art. 14: right of access). */
    async exportSubject(customerId: string, q: SubjectQuery, actor: Actor) {
      const sessions = await subjectSessions(customerId, q);
      if (sessions.length === 0) throw privacyError('ERR_SUBJECT_NOT_FOUND');
      const ids = sessions.map((s) => s.id);
      const uploads = await db.query<{
        session_id: string;
        slot: string;
        content_type: string;
        sha256: string;
        created_at: Date;
      }>(
        `SELECT session_id, slot, content_type, sha256, created_at FROM session_uploads WHERE session_id = ANY($1)
          ORDER BY session_id, slot`,
        [ids],
      );
      const consents = await db.query<{
        session_id: string;
        purpose: string;
        text_version: string;
        granted_at: Date;
        ip: string | null;
      }>(
        'SELECT session_id, purpose, text_version, granted_at, ip FROM consents WHERE session_id = ANY($1) ORDER BY granted_at',
        [ids],
      );
      await recordAudit(db, actor, {
        action: 'privacy.subject_exported',
        entityType: 'customer',
        entityId: customerId,
        customerId,
        details: { sessions: ids.length },
      });
      // Results and declared data are sealed under the customer's key: the subject gets them opened.
      const opened = await Promise.all(
        sessions.map((s) =>
          deps.envelope
            ? openSessionPersonalData(deps.envelope, s)
            : { result: s.result, declared: s.declared },
        ),
      );
      return {
        exported_at: clock.now().toISOString(),
        sessions: sessions.map((s, i) => ({
          id: s.id,
          reference_id: s.reference_id,
          status: s.status,
          checks: s.checks,
          declared: opened[i]!.declared,
          result: opened[i]!.result,
          created_at: s.created_at.toISOString(),
          completed_at: s.completed_at?.toISOString() ?? null,
          erased_at: s.erased_at?.toISOString() ?? null,
          face_template: s.face_template_id !== null,
          uploads: uploads
            .filter((u) => u.session_id === s.id)
            .map((u) => ({
              slot: u.slot,
              content_type: u.content_type,
              sha256: u.sha256,
              created_at: u.created_at.toISOString(),
            })),
          consents: consents
            .filter((c) => c.session_id === s.id)
            .map((c) => ({
              purpose: c.purpose,
              text_version: c.text_version,
              granted_at: c.granted_at.toISOString(),
              ip: c.ip,
            })),
        })),
      };
    },

    /** Erases every session of one data subject (Decree 13 art. 16: right to deletion). Usage events and an anonymous audit line stay. */
    async eraseSubject(
      customerId: string,
      q: SubjectQuery,
      actor: Actor,
    ): Promise<{ sessions: number; uploads: number; blobs: number }> {
      const sessions = await subjectSessions(customerId, q);
      if (sessions.length === 0) throw privacyError('ERR_SUBJECT_NOT_FOUND');
      const ids = sessions.map((s) => s.id);
      const { uploads } = await db.transaction(async (tx) => {
        const r = await eraseSessionRows(tx, ids, clock.now());
        await recordAudit(tx, actor, {
          action: 'privacy.subject_erased',
          entityType: 'customer',
          entityId: customerId,
          customerId,
          details: { sessions: ids },
        });
        return r;
      });
      const blobs = await deleteSessionBlobs(ids);
      return { sessions: ids.length, uploads, blobs };
    },

    /**
     * The retention job: per customer, images and chip files of sessions older than the image
     * retention, and extracted data older than the result retention, are deleted; terminated
     * customers past their retention period are crypto-shredded. Idempotent; batches of 500.
     */
    async runRetention(): Promise<RetentionReport> {
      const now = clock.now();
      const report: RetentionReport = {
        customers: 0,
        uploadsDeleted: 0,
        resultsErased: 0,
        blobsDeleted: 0,
        customersShredded: 0,
      };
      const customers = await db.query<{ customer_id: string }>(
        `SELECT DISTINCT customer_id FROM verification_sessions WHERE erased_at IS NULL OR
           id IN (SELECT session_id FROM session_uploads)`,
      );
      for (const { customer_id: customerId } of customers) {
        report.customers++;
        const s = await settingsFor(customerId);
        // Images: counted from the end of the session (or its start when it never ended).
        const imageCut = new Date(now.getTime() - s.imageRetentionDays * DAY);
        for (;;) {
          const rows = await db.query<{ session_id: string }>(
            `DELETE FROM session_uploads WHERE (session_id, slot) IN (
               SELECT u.session_id, u.slot FROM session_uploads u JOIN verification_sessions v ON v.id = u.session_id
                WHERE v.customer_id = $1 AND COALESCE(v.completed_at, v.last_activity_at) < $2 LIMIT 500)
             RETURNING session_id`,
            [customerId, imageCut],
          );
          report.uploadsDeleted += rows.length;
          report.blobsDeleted += await deleteSessionBlobs([...new Set(rows.map((r) => r.session_id))]);
          if (rows.length < 500) break;
        }
        const resultCut = new Date(now.getTime() - s.resultRetentionDays * DAY);
        for (;;) {
          const ids = (
            await db.query<{ id: string }>(
              `SELECT id FROM verification_sessions WHERE customer_id = $1 AND erased_at IS NULL
                 AND status NOT IN ('created', 'collecting', 'processing')
                 AND COALESCE(completed_at, last_activity_at) < $2 ORDER BY id LIMIT 500`,
              [customerId, resultCut],
            )
          ).map((r) => r.id);
          if (ids.length === 0) break;
          await db.transaction(async (tx) => {
            await eraseSessionRows(tx, ids, now);
            await recordAudit(tx, systemActor, {
              action: 'privacy.retention_erased',
              entityType: 'customer',
              entityId: customerId,
              customerId,
              details: { sessions: ids.length, days: s.resultRetentionDays },
            });
          });
          report.resultsErased += ids.length;
          report.blobsDeleted += await deleteSessionBlobs(ids);
          if (ids.length < 500) break;
        }
      }
      report.customersShredded = await shredTerminated();
      return report;
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
