import type { Db } from '../../db/client.ts';
import { extractFace, faceForDisplay } from '../../ekyc/chip/face.ts';
import type { DocumentFields } from '../../ekyc/chip/verify.ts';
import type { Box, CardCorners, DocumentReadResult } from '../../ekyc/document/reader.ts';
import { decodeImage } from '../../ekyc/image.ts';
import { CHECK_USAGE_KIND } from '../../http/billable.ts';
import { AppError, defineErrors } from '../../http/errors.ts';
import { inputError } from '../../http/input.ts';
import { localDateOf } from '../../lib/calendar/dates.ts';
import type { Clock } from '../../lib/clock.ts';
import { CryptoError, type Envelope, isSealed } from '../../lib/crypto/envelope.ts';
import { createSubjectRefs } from '../../lib/crypto/subject-ref.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { newId, randomToken } from '../../lib/ids.ts';
import { type Actor, recordAudit } from '../audit/audit.ts';
import { inForceSql } from '../contracts/in-force.ts';
import { type CheckName, type DecisionInput, decide, type Reason } from '../decisions/decide.ts';
import { currentRules, rulesVersion } from '../decisions/decisions.repo.ts';
import { recordUsage } from '../metering/metering.ts';
import type { ConsentInput } from '../privacy/privacy.service.ts';
import type { WebhookService } from '../webhooks/webhooks.service.ts';
import type { AnalyzedFace, Engines, Frame } from './engines.ts';

export const sessionError = defineErrors({
  ERR_CHECK_REQUIRED: { status: 400, title: "A check required by the customer's decision rules is missing" },
  ERR_SESSION_NOT_FOUND: { status: 404, title: 'Verification session not found' },
  ERR_SESSION_STATE: { status: 409, title: 'The session does not accept this in its current status' },
  ERR_SESSION_INCOMPLETE: { status: 409, title: 'Uploads required by the requested checks are missing' },
  ERR_UPLOAD_NOT_REQUESTED: {
    status: 409,
    title: "This upload belongs to a check the session didn't ask for",
  },
  ERR_UPLOAD_MISSING: { status: 400, title: 'Send the file as multipart/form-data part `file`' },
  ERR_UPLOAD_INVALID: { status: 422, title: 'The uploaded file is not a usable image' },
  ERR_CAPTURE_TOKEN: { status: 401, title: 'The capture link is invalid or has expired' },
  ERR_REVIEW_STATE: { status: 409, title: 'Only a session in review can be decided' },
  ERR_CURSOR: { status: 400, title: 'The pagination cursor is malformed' },
  ERR_SESSION_IMAGE_NOT_FOUND: {
    status: 404,
    title: 'The session holds no such image (never uploaded or erased)',
  },
  ERR_LIVENESS_ATTEMPTS_EXHAUSTED: {
    status: 409,
    title: 'The session has used all its liveness attempts: submit it as it is or start a new session',
  },
  ERR_LIVENESS_CHALLENGE_MISMATCH: {
    status: 409,
    title: "Frames must answer this session's latest liveness challenge: issue one first",
  },
});

export const ALL_CHECKS: CheckName[] = ['document', 'face', 'liveness', 'chip'];

/** What the `liveness` slot holds: the challenge issued for the session, then its verdict. */
interface LivenessSlotMeta {
  challenge_id: string;
  state: 'issued' | 'verified' | 'failed';
  /** Challenges issued to the session so far, this one included (missing on older rows: 1). */
  attempts?: number;
  verdict?: {
    live: boolean;
    score: number;
    checks: Array<{ name: string; passed: boolean; value?: number; detail?: string }>;
    actions: Array<{ action: string; done: boolean; at_ms: number | null }>;
    /** Missing on rows verified before passive signals were reported. */
    passive_warnings?: string[];
  };
  error?: string;
}

export type SessionStatus =
  | 'created'
  | 'collecting'
  | 'processing'
  | 'approved'
  | 'declined'
  | 'review'
  | 'resubmission_requested'
  | 'expired'
  | 'abandoned';
export type Slot = 'document_front' | 'document_back' | 'selfie' | 'liveness' | 'liveness_frames' | 'chip';

/** The `liveness_frames` slot's meta: which action each stored frame shows (no personal data). */
interface ActionFramesMeta {
  frames: Array<{ action: string; at_ms: number }>;
}
/** The images a reviewer can look at, and the upload slot each comes from. */
export const CASE_IMAGES = {
  document_front: 'document_front',
  document_back: 'document_back',
  selfie: 'selfie',
  chip_face: 'chip',
  liveness_frame: 'liveness',
} as const satisfies Record<string, Slot>;
export type CaseImage = keyof typeof CASE_IMAGES;

/** The image type from its first bytes: the stored upload's declared type came from the client. */
function imageType(b: Buffer): string | null {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return null;
}
const OPEN: SessionStatus[] = ['created', 'collecting', 'resubmission_requested'];
const CAPTURE_TTL_MS = 60 * 60_000;

export interface SessionRow {
  id: string;
  customer_id: string;
  api_key_id: string | null;
  reference_id: string;
  checks: CheckName[];
  status: SessionStatus;
  locale: string;
  redirect_url: string | null;
  declared: { id_number?: string };
  capture_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  last_activity_at: Date;
  submitted_at: Date | null;
  completed_at: Date | null;
  rule_version: number | null;
  result: SessionResult | null;
  reasons: Reason[];
  subject_ref: string | null;
  face_template_id: string | null;
  review: { decision: string; note: string | null; by: string | null; at: string } | null;
  erased_at: Date | null;
}

export interface SessionResult {
  scores: Record<string, unknown>;
  extracted: Record<string, unknown>;
  evidence: Array<{ field: string; source: string }>;
  errors: Record<string, string>;
  /** Where the reader found each field on the stored card images (absent before field boxes existed). */
  regions?: DocumentRegions;
}

/** Pixels of the uploaded image of each side as a browser displays it (EXIF orientation applied). */
export interface DocumentRegions {
  fields: Record<string, { side: 'front' | 'back'; box: Box }>;
  corners: CardCorners;
  portrait: Box | null;
}

/**
 * For each action the engine saw, the frame nearest the moment it saw it (`at_ms` counts from the
 * first frame with a face; the first frame is close enough), as JSON of base64 images in action order.
 */
function actionFrames(
  frames: readonly Frame[],
  actions: ReadonlyArray<{ action: string; done: boolean; at_ms: number | null }>,
): { content: Buffer; frames: ActionFramesMeta['frames'] } | null {
  const t0 = frames[0]!.t;
  const seen = actions.filter((a): a is { action: string; done: boolean; at_ms: number } => a.at_ms !== null);
  if (seen.length === 0) return null;
  const images = seen.map((a) => {
    let best = frames[0]!;
    for (const f of frames) if (Math.abs(f.t - t0 - a.at_ms) < Math.abs(best.t - t0 - a.at_ms)) best = f;
    return best.image.toString('base64');
  });
  return {
    content: Buffer.from(JSON.stringify(images)),
    frames: seen.map((a) => ({ action: a.action, at_ms: a.at_ms })),
  };
}

function regionsOf(doc: DocumentReadResult): DocumentRegions {
  const fields: DocumentRegions['fields'] = {};
  for (const [name, f] of Object.entries(doc.fields)) {
    if (f?.box && f.side) fields[name] = { side: f.side, box: f.box };
  }
  return { fields, corners: doc.document.corners, portrait: doc.portrait?.box ?? null };
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/** What the applicant agreed to, as sent with the session or by the capture page's consent step. */
export interface SessionConsent {
  text_version: string;
  purpose?: string;
  text?: string;
  ip?: string | null;
}

/** A JSON value sealed under the customer's data key, as kept in a jsonb column. */
interface SealedJson {
  sealed: string;
}
const isSealedJson = (v: unknown): v is SealedJson =>
  typeof v === 'object' && v !== null && typeof (v as { sealed?: unknown }).sealed === 'string';

/**
 * Encryption contexts (bound as associated data): a ciphertext copied to another session or slot
 * does not open.
 */
const uploadContext = (sessionId: string, slot: string) => `upload:${sessionId}/${slot}`;
const resultContext = (sessionId: string) => `session-result:${sessionId}`;
const declaredContext = (sessionId: string) => `session-declared:${sessionId}`;

/**
 * The data key id named in a sealed `session_uploads u` content (SQL; NULL for an empty or older
 * row). Reads only the header slices, so PostgreSQL need not fetch the whole image from TOAST.
 */
export const UPLOAD_KEY_ID_SQL = `CASE WHEN length(u.content) > 5 AND substring(u.content from 1 for 4) = '\\x454b4531'::bytea
  THEN convert_from(substring(u.content from 6 for get_byte(substring(u.content from 1 for 5), 4)), 'UTF8') END`;

async function openSealedJson<T>(envelope: Envelope, context: string, stored: unknown): Promise<T> {
  if (!isSealedJson(stored)) return stored as T; // written before encryption at rest
  const plain = await envelope.open(context, Buffer.from(stored.sealed, 'base64'));
  return JSON.parse(plain.toString('utf8')) as T;
}

/** Opens a `session_uploads.content` (rows written before encryption at rest pass through). */
export async function openSessionUpload(
  envelope: Envelope,
  sessionId: string,
  slot: string,
  stored: Uint8Array,
): Promise<Buffer> {
  const buf = Buffer.from(stored);
  return isSealed(buf) ? envelope.open(uploadContext(sessionId, slot), buf) : buf;
}

/**
 * The personal data of a `verification_sessions` row in clear, for other modules that read the
 * table directly (e.g. the data-subject export): `result` and `declared` are sealed at rest.
 * Throws `CryptoError('shredded')` (→ 410 ERR_DATA_ERASED) when the customer's keys were destroyed.
 */
export async function openSessionPersonalData(
  envelope: Envelope,
  row: { id: string; result: unknown; declared: unknown },
): Promise<{ result: SessionResult | null; declared: { id_number?: string } }> {
  return {
    result:
      row.result === null || row.result === undefined
        ? null
        : await openSealedJson<SessionResult>(envelope, resultContext(row.id), row.result),
    declared:
      (await openSealedJson<{ id_number?: string } | null>(
        envelope,
        declaredContext(row.id),
        row.declared,
      )) ?? {},
  };
}

export function createSessionService(deps: {
  db: Db;
  clock: Clock;
  engines: Engines;
  webhooks: WebhookService;
  /** Seals uploads, extracted data and declared data under the customer's data key. */
  envelope: Envelope;
  /** Records the applicant's consent in the caller's transaction (the privacy module's). */
  recordConsent: (input: ConsentInput, tx: Db) => Promise<string>;
  publicUrl: string;
  /** Starts processing in the background (the job queue); without it, processing runs in-process. */
  enqueueProcessing?: (sessionId: string) => Promise<void>;
  /** Liveness challenges one session may be issued (each is one attempt). */
  livenessMaxAttempts: number;
  /** How long a session may stay `processing` before `sweepStuck` retries it, then sends it to review. */
  processingStuckMs: number;
}) {
  const { db, clock, engines, webhooks, envelope } = deps;
  const subjectRefs = createSubjectRefs({ db, envelope, clock });
  const inflight = new Map<string, Promise<void>>();

  async function sealJson(customerId: string, context: string, value: unknown): Promise<SealedJson> {
    const sealed = await envelope.seal(customerId, context, Buffer.from(JSON.stringify(value), 'utf8'));
    return { sealed: sealed.toString('base64') };
  }

  const readResult = (row: SessionRow) =>
    row.result === null
      ? Promise.resolve(null)
      : openSealedJson<SessionResult>(envelope, resultContext(row.id), row.result);
  const readDeclared = async (row: SessionRow) =>
    (await openSealedJson<SessionRow['declared'] | null>(envelope, declaredContext(row.id), row.declared)) ??
    {};
  const openUpload = (sessionId: string, slot: string, stored: Uint8Array) =>
    openSessionUpload(envelope, sessionId, slot, stored);

  async function get(customerId: string, id: string): Promise<SessionRow> {
    const [row] = await db.query<SessionRow>(
      'SELECT * FROM verification_sessions WHERE id = $1 AND customer_id = $2',
      [id, customerId],
    );
    if (!row) throw sessionError('ERR_SESSION_NOT_FOUND');
    return row;
  }

  async function ttlMinutes(customerId: string) {
    return (await currentRules(db, customerId)).rules.session_ttl_minutes;
  }

  async function view(row: SessionRow) {
    const ttl = await ttlMinutes(row.customer_id);
    // Each upload's data key, read from the ciphertext's header without fetching the image into JS:
    // a destroyed key (crypto-shredding) means the session's data is gone for good.
    const uploads = await db.query<{ slot: string; created_at: Date; key_status: string | null }>(
      `SELECT u.slot, u.created_at, k.status AS key_status FROM session_uploads u
         LEFT JOIN data_keys k ON k.id = ${UPLOAD_KEY_ID_SQL}
        WHERE u.session_id = $1 ORDER BY u.slot`,
      [row.id],
    );
    if (uploads.some((u) => u.key_status === 'destroyed')) throw inputError('ERR_DATA_ERASED');
    const result = await readResult(row);
    return {
      id: row.id,
      reference_id: row.reference_id,
      status: row.status,
      checks: row.checks,
      locale: row.locale,
      redirect_url: row.redirect_url,
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
      expires_at: OPEN.includes(row.status)
        ? iso(new Date(new Date(row.last_activity_at).getTime() + ttl * 60_000))
        : null,
      submitted_at: iso(row.submitted_at),
      completed_at: iso(row.completed_at),
      // The action frames are kept from the liveness upload, not uploaded by the client.
      uploads: uploads
        .filter((u) => u.slot !== 'liveness_frames')
        .map((u) => ({ slot: u.slot, uploaded_at: iso(u.created_at) })),
      decision: row.rule_version === null ? null : { rule_version: row.rule_version, reasons: row.reasons },
      reason_codes: row.reasons.map((r) => r.code),
      scores: result?.scores ?? {},
      extracted: result?.extracted ?? {},
      evidence: result?.evidence ?? [],
      review: row.review,
      erased: row.erased_at !== null,
    };
  }

  async function touch(tx: Db, id: string, status?: SessionStatus) {
    const now = clock.now();
    await tx.query(
      `UPDATE verification_sessions SET last_activity_at = $2, updated_at = $2,
         status = CASE WHEN $3::text IS NOT NULL THEN $3::text
                       WHEN status IN ('created', 'resubmission_requested') THEN 'collecting' ELSE status END
       WHERE id = $1`,
      [id, now, status ?? null],
    );
  }

  /** Seals the bytes under the customer's data key (outside any transaction: it may create the key). */
  async function sealUpload(customerId: string, id: string, slot: Slot, content: Buffer): Promise<Buffer> {
    return content.length === 0 ? content : envelope.seal(customerId, uploadContext(id, slot), content);
  }

  /** `sealed`: from `sealUpload`; `plainSha256`: the plaintext's digest (export, dedup). */
  async function putSlot(
    tx: Db,
    id: string,
    slot: Slot,
    sealed: Buffer,
    plainSha256: string,
    contentType: string,
    meta: object,
  ) {
    await tx.query(
      `INSERT INTO session_uploads (session_id, slot, content, content_type, sha256, meta, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (session_id, slot) DO UPDATE SET content = EXCLUDED.content, content_type = EXCLUDED.content_type,
         sha256 = EXCLUDED.sha256, meta = EXCLUDED.meta, created_at = EXCLUDED.created_at`,
      [id, slot, sealed, contentType, plainSha256, JSON.stringify(meta), clock.now()],
    );
  }

  function requiredSlots(checks: CheckName[]): Slot[][] {
    // Each inner list: at least one of these slots must be present.
    const need: Slot[][] = [];
    if (checks.includes('document')) need.push(['document_front']);
    // The liveness sequence's frontal frame can stand in for a selfie.
    if (checks.includes('face')) need.push(['selfie', 'liveness'], ['document_front', 'chip']);
    if (checks.includes('liveness')) need.push(['liveness']);
    if (checks.includes('chip')) need.push(['chip']);
    return need;
  }

  function slotAllowed(checks: CheckName[], slot: Slot): boolean {
    switch (slot) {
      case 'document_front':
        return checks.includes('document') || checks.includes('face');
      case 'document_back':
        return checks.includes('document');
      case 'selfie':
        return checks.includes('face') || checks.includes('liveness');
      case 'liveness':
      case 'liveness_frames':
        return checks.includes('liveness');
      case 'chip':
        return checks.includes('chip');
    }
  }

  async function openSession(customerId: string, id: string): Promise<SessionRow> {
    const s = await get(customerId, id);
    if (!OPEN.includes(s.status)) {
      throw sessionError('ERR_SESSION_STATE', `The session is ${s.status}`, { session_status: s.status });
    }
    const ttl = await ttlMinutes(customerId);
    if (new Date(s.last_activity_at).getTime() + ttl * 60_000 <= clock.now().getTime()) {
      await expireOne(s);
      throw sessionError('ERR_SESSION_STATE', 'The session is expired', { session_status: 'expired' });
    }
    return s;
  }

  async function startProcessing(id: string) {
    if (deps.enqueueProcessing) await deps.enqueueProcessing(id);
    else void service.process(id).catch(() => {});
  }

  /** A session whose processing never finished goes to a person, and the customer hears of it. */
  async function stalledToReview(s: SessionRow): Promise<boolean> {
    const reasons: Reason[] = [{ code: 'PROCESSING_STALLED', check: 'session', outcome: 'review' }];
    return db.transaction(async (tx) => {
      const now = clock.now();
      const rows = await tx.query(
        `UPDATE verification_sessions SET status = 'review', reasons = $2, completed_at = $3, updated_at = $3
          WHERE id = $1 AND status = 'processing' RETURNING id`,
        [s.id, JSON.stringify(reasons), now],
      );
      if (rows.length === 0) return false;
      await webhooks.enqueue(tx, s.customer_id, 'session.completed', {
        session_id: s.id,
        reference_id: s.reference_id,
        status: 'review',
        reason_codes: reasons.map((r) => r.code),
        rule_version: null,
      });
      return true;
    });
  }

  async function expireOne(s: SessionRow): Promise<boolean> {
    return db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE verification_sessions SET status = 'expired', updated_at = $2, completed_at = $2
          WHERE id = $1 AND status IN ('created', 'collecting', 'resubmission_requested') RETURNING id`,
        [s.id, clock.now()],
      );
      if (rows.length === 0) return false;
      await webhooks.enqueue(tx, s.customer_id, 'session.expired', {
        session_id: s.id,
        reference_id: s.reference_id,
        status: 'expired',
      });
      return true;
    });
  }

  /** Records the applicant's consent to this session in `tx` (text version, time, IP). */
  function consentIn(tx: Db, customerId: string, sessionId: string, c: SessionConsent) {
    return deps.recordConsent(
      {
        customerId,
        sessionId,
        purpose: c.purpose ?? 'ekyc_verification',
        textVersion: c.text_version,
        ...(c.text !== undefined ? { text: c.text } : {}),
        ip: c.ip ?? null,
      },
      tx,
    );
  }

  const service = {
    async create(
      client: { customerId: string; keyId: string | null },
      input: {
        reference_id: string;
        checks: CheckName[];
        redirect_url?: string;
        locale?: string;
        id_number?: string;
        consent?: SessionConsent;
      },
    ) {
      const checks = [...new Set(input.checks)];
      const rules = await currentRules(db, client.customerId);
      const lacking = rules.rules.required_checks.filter((c) => !checks.includes(c));
      if (lacking.length > 0) {
        throw sessionError('ERR_CHECK_REQUIRED', `Required: ${lacking.join(', ')}`, { required: lacking });
      }
      const now = clock.now();
      const id = newId('ses');
      const token = `cap_${randomToken(24)}`;
      const declared = input.id_number
        ? await sealJson(client.customerId, declaredContext(id), { id_number: input.id_number })
        : {};
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO verification_sessions (id, customer_id, api_key_id, reference_id, checks, status, locale, redirect_url,
             declared, capture_token_hash, capture_expires_at, created_at, updated_at, last_activity_at)
           VALUES ($1, $2, $3, $4, $5, 'created', $6, $7, $8, $9, $10, $11, $11, $11)`,
          [
            id,
            client.customerId,
            client.keyId,
            input.reference_id,
            JSON.stringify(checks),
            input.locale ?? 'vi',
            input.redirect_url ?? null,
            JSON.stringify(declared),
            sha256Hex(token),
            new Date(now.getTime() + CAPTURE_TTL_MS),
            now,
          ],
        );
        if (input.consent) await consentIn(tx, client.customerId, id, input.consent);
      });
      return {
        id,
        status: 'created' as const,
        checks,
        capture_url: `${deps.publicUrl.replace(/\/$/, '')}/capture/${token}`,
        capture_token_expires_at: iso(new Date(now.getTime() + CAPTURE_TTL_MS)),
        expires_at: iso(new Date(now.getTime() + rules.rules.session_ttl_minutes * 60_000)),
      };
    },

    async fromCaptureToken(token: string): Promise<SessionRow> {
      const [row] = await db.query<SessionRow>(
        'SELECT * FROM verification_sessions WHERE capture_token_hash = $1',
        [sha256Hex(token)],
      );
      if (
        !row ||
        !row.capture_expires_at ||
        new Date(row.capture_expires_at) <= clock.now() ||
        row.erased_at
      ) {
        throw sessionError('ERR_CAPTURE_TOKEN');
      }
      return row;
    },

    /** The capture page's consent step (or an integrator's own): recorded against an open session. */
    async consent(customerId: string, id: string, c: SessionConsent) {
      const s = await openSession(customerId, id);
      const consentId = await db.transaction(async (tx) => {
        const cid = await consentIn(tx, customerId, s.id, c);
        await tx.query('UPDATE verification_sessions SET last_activity_at = $2 WHERE id = $1', [
          s.id,
          clock.now(),
        ]);
        return cid;
      });
      return { id: consentId, session_id: s.id, granted_at: clock.now().toISOString() };
    },

    /** Scores for the back-office queue; a shredded customer's sessions simply show none. */
    async scoresOf(row: { id: string; result: unknown }): Promise<Record<string, unknown>> {
      try {
        return (await readResult(row as SessionRow))?.scores ?? {};
      } catch (e) {
        if (e instanceof CryptoError && e.reason === 'shredded') return {};
        throw e;
      }
    },

    async status(customerId: string, id: string) {
      return view(await get(customerId, id));
    },

    async list(
      customerId: string,
      q: { status?: SessionStatus; from?: string; to?: string; cursor?: string; limit?: number },
    ) {
      const params: unknown[] = [customerId];
      const where = ['customer_id = $1'];
      if (q.status) where.push(`status = $${params.push(q.status)}`);
      if (q.from) where.push(`created_at >= $${params.push(new Date(q.from))}`);
      if (q.to) where.push(`created_at < $${params.push(new Date(q.to))}`);
      if (q.cursor) {
        let c: { t: string; i: string };
        try {
          c = JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8'));
          if (typeof c.t !== 'string' || typeof c.i !== 'string' || Number.isNaN(Date.parse(c.t)))
            throw new Error();
        } catch {
          throw sessionError('ERR_CURSOR');
        }
        where.push(`(created_at, id) < ($${params.push(new Date(c.t))}, $${params.push(c.i)})`);
      }
      const limit = q.limit ?? 50;
      const rows = await db.query<SessionRow>(
        `SELECT * FROM verification_sessions WHERE ${where.join(' AND ')}
          ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
        params as string[],
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => ({
          id: r.id,
          reference_id: r.reference_id,
          status: r.status,
          checks: r.checks,
          reason_codes: r.reasons.map((x) => x.code),
          created_at: iso(r.created_at),
          completed_at: iso(r.completed_at),
        })),
        next_cursor:
          rows.length > limit && last
            ? Buffer.from(JSON.stringify({ t: iso(last.created_at), i: last.id })).toString('base64url')
            : null,
      };
    },

    /** Validates and stores one upload at once: a bad image is refused now, not at processing. */
    async upload(
      customerId: string,
      id: string,
      slot: Slot,
      content: Buffer,
      contentType: string,
      meta: object = {},
    ) {
      const s = await openSession(customerId, id);
      if (!slotAllowed(s.checks, slot)) {
        throw sessionError(
          'ERR_UPLOAD_NOT_REQUESTED',
          `${slot} is not used by checks ${s.checks.join(', ')}`,
        );
      }
      if (slot !== 'chip') {
        try {
          await decodeImage(content, { maxSide: 1600, minSide: 48 });
        } catch (e) {
          if (e instanceof AppError && e.status < 500) {
            throw sessionError('ERR_UPLOAD_INVALID', `${slot}: ${e.detail ?? e.title}`, {
              cause_code: e.code,
            });
          }
          throw e;
        }
      }
      const sealed = await sealUpload(customerId, id, slot, content);
      await db.transaction(async (tx) => {
        await putSlot(tx, id, slot, sealed, sha256Hex(content), contentType, meta);
        await touch(tx, id);
      });
      return view(await get(customerId, id));
    },

    /**
     * Issues the session's liveness challenge (a new one replaces an earlier attempt), at most
     * `livenessMaxAttempts` per session: an attacker cannot keep trying presentations on one session.
     */
    async livenessChallenge(customerId: string, id: string) {
      const s = await openSession(customerId, id);
      if (!slotAllowed(s.checks, 'liveness')) {
        throw sessionError(
          'ERR_UPLOAD_NOT_REQUESTED',
          `liveness is not used by checks ${s.checks.join(', ')}`,
        );
      }
      const max = deps.livenessMaxAttempts;
      const exhausted = () =>
        sessionError('ERR_LIVENESS_ATTEMPTS_EXHAUSTED', `At most ${max} liveness attempts per session`, {
          max_attempts: max,
        });
      const attemptsSoFar = async (tx: Db) => {
        const [slot] = await tx.query<{ meta: Partial<LivenessSlotMeta> }>(
          "SELECT meta FROM session_uploads WHERE session_id = $1 AND slot = 'liveness'",
          [id],
        );
        return slot ? (slot.meta.attempts ?? 1) : 0;
      };
      if ((await attemptsSoFar(db)) >= max) throw exhausted();
      const c = await engines.liveness.issue(customerId, s.api_key_id ?? 'session', undefined);
      await db.transaction(async (tx) => {
        // Counted again under the session's row lock: concurrent requests cannot both take the last attempt.
        await tx.query('SELECT 1 FROM verification_sessions WHERE id = $1 FOR UPDATE', [id]);
        const attempts = (await attemptsSoFar(tx)) + 1;
        if (attempts > max) throw exhausted();
        const meta: LivenessSlotMeta = { challenge_id: c.id, state: 'issued', attempts };
        await putSlot(tx, id, 'liveness', Buffer.alloc(0), sha256Hex(''), 'application/octet-stream', meta);
        await tx.query("DELETE FROM session_uploads WHERE session_id = $1 AND slot = 'liveness_frames'", [
          id,
        ]);
        await touch(tx, id);
      });
      return c;
    },

    /**
     * Verifies the frames answering the session's challenge at once (the challenge lives 60 s) and
     * keeps the verdict and the first (frontal) frame for processing; the frames themselves are not
     * kept. A sequence showing two people is kept as a failed attempt (an attack signal), other
     * engine refusals (too few frames, no face) only ask for a new attempt.
     */
    async livenessVerify(customerId: string, id: string, challengeId: string, frames: Frame[]) {
      const s = await openSession(customerId, id);
      if (!slotAllowed(s.checks, 'liveness')) {
        throw sessionError(
          'ERR_UPLOAD_NOT_REQUESTED',
          `liveness is not used by checks ${s.checks.join(', ')}`,
        );
      }
      const [slot] = await db.query<{ meta: Partial<LivenessSlotMeta> }>(
        "SELECT meta FROM session_uploads WHERE session_id = $1 AND slot = 'liveness'",
        [id],
      );
      if (!slot || slot.meta.challenge_id !== challengeId || slot.meta.state !== 'issued') {
        throw sessionError('ERR_LIVENESS_CHALLENGE_MISMATCH');
      }
      let meta: LivenessSlotMeta;
      let failure: unknown = null;
      const attempts = slot.meta.attempts ?? 1;
      try {
        const v = await engines.liveness.verify(customerId, challengeId, frames);
        meta = {
          challenge_id: challengeId,
          state: 'verified',
          attempts,
          verdict: {
            live: v.live,
            score: v.score,
            checks: v.checks,
            actions: v.actions,
            passive_warnings: v.signals.passive_warnings,
          },
        };
      } catch (e) {
        if (!(e instanceof AppError) || e.code !== 'ERR_LIVENESS_FACE_CHANGED') throw e;
        failure = e;
        meta = { challenge_id: challengeId, state: 'failed', attempts, error: 'LIVENESS_FACE_CHANGED' };
      }
      const frame = frames[0]!.image;
      const sealedFrame = await sealUpload(customerId, id, 'liveness', frame);
      const shots = meta.verdict ? actionFrames(frames, meta.verdict.actions) : null;
      const sealedShots = shots && (await sealUpload(customerId, id, 'liveness_frames', shots.content));
      await db.transaction(async (tx) => {
        await putSlot(tx, id, 'liveness', sealedFrame, sha256Hex(frame), 'image/jpeg', meta);
        if (shots && sealedShots)
          await putSlot(
            tx,
            id,
            'liveness_frames',
            sealedShots,
            sha256Hex(shots.content),
            'application/json',
            {
              frames: shots.frames,
            } satisfies ActionFramesMeta,
          );
        await touch(tx, id);
      });
      if (failure) throw failure;
      return {
        view: await view(await get(customerId, id)),
        verdict: { challenge_id: challengeId, ...meta.verdict! },
      };
    },

    async submit(customerId: string, id: string) {
      const s = await openSession(customerId, id);
      const have = new Set(
        (
          await db.query<{ slot: Slot; meta: Partial<LivenessSlotMeta> }>(
            'SELECT slot, meta FROM session_uploads WHERE session_id = $1',
            [id],
          )
        )
          // A liveness challenge issued but not answered is no upload yet.
          .filter((r) => r.slot !== 'liveness' || r.meta.state !== 'issued')
          .map((r) => r.slot),
      );
      const missing = requiredSlots(s.checks).filter((any) => !any.some((x) => have.has(x)));
      if (missing.length > 0) {
        throw sessionError(
          'ERR_SESSION_INCOMPLETE',
          `Missing: ${missing.map((m) => m.join(' or ')).join(', ')}`,
          {
            errors: missing.map((m) => ({ path: m.join('|'), message: 'upload missing' })),
          },
        );
      }
      const now = clock.now();
      const rows = await db.query(
        `UPDATE verification_sessions SET status = 'processing', submitted_at = $2, updated_at = $2, last_activity_at = $2
          WHERE id = $1 AND status IN ('created', 'collecting', 'resubmission_requested') RETURNING id`,
        [id, now],
      );
      if (rows.length === 0) throw sessionError('ERR_SESSION_STATE');
      await startProcessing(id);
      return view(await get(customerId, id));
    },

    /**
     * Runs the checks of a submitted session and decides. Idempotent (a job may run twice): only a
     * session still `processing` is decided, and usage events have one id per session and check.
     */
    process(id: string): Promise<void> {
      const running = inflight.get(id);
      if (running) return running;
      const p = runProcessing(id).finally(() => inflight.delete(id));
      inflight.set(id, p);
      return p;
    },

    /** Manual review from the portal: approve, decline or ask for a resubmission. */
    async reviewDecision(
      sessionId: string,
      decision: 'approved' | 'declined' | 'resubmission_requested',
      note: string | null,
      actor: Actor,
      visible: (customerId: string) => Promise<boolean>,
    ) {
      const s = await visibleSession(sessionId, visible);
      if (s.status !== 'review') throw sessionError('ERR_REVIEW_STATE', `The session is ${s.status}`);
      const now = clock.now();
      const review = { decision, note, by: actor.id, at: now.toISOString() };
      await db.transaction(async (tx) => {
        const rows = await tx.query(
          `UPDATE verification_sessions SET status = $2, review = $3, updated_at = $4, completed_at = $4,
             last_activity_at = $4 WHERE id = $1 AND status = 'review' RETURNING id`,
          [sessionId, decision, JSON.stringify(review), now],
        );
        if (rows.length === 0) throw sessionError('ERR_REVIEW_STATE');
        if (decision === 'resubmission_requested') {
          // The person is asked to try again: they get the full number of liveness attempts back.
          await tx.query(
            `UPDATE session_uploads SET meta = jsonb_set(meta, '{attempts}', '0')
              WHERE session_id = $1 AND slot = 'liveness'`,
            [sessionId],
          );
        }
        await recordAudit(tx, actor, {
          action: 'session.review_decided',
          entityType: 'verification_session',
          entityId: sessionId,
          customerId: s.customer_id,
          details: { decision },
        });
        await webhooks.enqueue(tx, s.customer_id, 'session.review_decided', {
          session_id: sessionId,
          reference_id: s.reference_id,
          status: decision,
          reason_codes: s.reasons.map((r) => r.code),
        });
      });
      webhooks.notifyEnqueued();
      if (decision === 'approved') await enrollFace(s);
      return view(await get(s.customer_id, sessionId));
    },

    /**
     * A session as its reviewer sees it: the API view, the images it holds, and the thresholds of
     * the rule version it was decided under. Viewing personal data is audited.
     */
    async caseView(sessionId: string, actor: Actor, visible: (customerId: string) => Promise<boolean>) {
      const s = await visibleSession(sessionId, visible);
      const v = await view(s);
      const slots = await db.query<{ slot: Slot; size: number; meta: Partial<LivenessSlotMeta> }>(
        'SELECT slot, length(content)::int AS size, meta FROM session_uploads WHERE session_id = $1',
        [s.id],
      );
      const images: CaseImage[] = [];
      for (const kind of Object.keys(CASE_IMAGES) as CaseImage[]) {
        const u = slots.find((x) => x.slot === CASE_IMAGES[kind]);
        if (!u || u.size === 0) continue;
        if (kind === 'chip_face' && !(await chipFace(s.id))) continue;
        images.push(kind);
      }
      const rules =
        s.rule_version === null ? undefined : await rulesVersion(db, s.customer_id, s.rule_version);
      await recordAudit(db, actor, {
        action: 'session.case_viewed',
        entityType: 'verification_session',
        entityId: s.id,
        customerId: s.customer_id,
      });
      const shots = slots.find((x) => x.slot === 'liveness_frames')?.meta as
        | Partial<ActionFramesMeta>
        | undefined;
      return {
        ...v,
        customer_id: s.customer_id,
        regions: (await readResult(s))?.regions ?? null,
        liveness_frames: (shots?.frames ?? []).map((f, n) => ({
          ...f,
          url: `/api/verification-sessions/${s.id}/liveness-frames/${n}`,
        })),
        images: images.map((kind) => ({ kind, url: `/api/verification-sessions/${s.id}/images/${kind}` })),
        thresholds: rules
          ? {
              face: rules.rules.face,
              liveness: rules.rules.liveness,
              duplicate_face: { min_similarity: rules.rules.duplicate_face.min_similarity },
            }
          : null,
      };
    },

    /** One stored image of a session, opened for a reviewer (an audited view of personal data). */
    async caseImage(
      sessionId: string,
      kind: CaseImage,
      actor: Actor,
      visible: (customerId: string) => Promise<boolean>,
    ): Promise<{ content: Buffer; type: string }> {
      const s = await visibleSession(sessionId, visible);
      const content = kind === 'chip_face' ? await chipFace(s.id) : await openedSlot(s.id, CASE_IMAGES[kind]);
      const type = content ? imageType(content) : null;
      if (!content || !type) throw sessionError('ERR_SESSION_IMAGE_NOT_FOUND');
      await recordAudit(db, actor, {
        action: 'session.image_viewed',
        entityType: 'verification_session',
        entityId: s.id,
        customerId: s.customer_id,
        details: { image: kind },
      });
      return { content, type };
    },

    /** The liveness frame at the `n`-th action seen, opened for a reviewer (an audited view). */
    async caseActionFrame(
      sessionId: string,
      n: number,
      actor: Actor,
      visible: (customerId: string) => Promise<boolean>,
    ): Promise<{ content: Buffer; type: string }> {
      const s = await visibleSession(sessionId, visible);
      const stored = await openedSlot(s.id, 'liveness_frames');
      const b64 = stored ? (JSON.parse(stored.toString('utf8')) as string[])[n] : undefined;
      const content = b64 === undefined ? null : Buffer.from(b64, 'base64');
      const type = content ? imageType(content) : null;
      if (!content || !type) throw sessionError('ERR_SESSION_IMAGE_NOT_FOUND');
      await recordAudit(db, actor, {
        action: 'session.image_viewed',
        entityType: 'verification_session',
        entityId: s.id,
        customerId: s.customer_id,
        details: { image: `liveness_action_${n}` },
      });
      return { content, type };
    },

    /** Erasure (data subject right): uploads, extracted data and the face template go; the usage events and an anonymous audit line stay. */
    async erase(customerId: string, id: string, actor: Actor) {
      const s = await get(customerId, id);
      await db.transaction(async (tx) => {
        await tx.query('DELETE FROM session_uploads WHERE session_id = $1', [id]);
        await tx.query(
          `UPDATE verification_sessions SET result = NULL, declared = '{}', reference_id = '', subject_ref = NULL,
             capture_token_hash = NULL, capture_expires_at = NULL, redirect_url = NULL, review = NULL, erased_at = $2,
             updated_at = $2, status = CASE WHEN status IN ('created', 'collecting', 'processing', 'resubmission_requested')
               THEN 'abandoned' ELSE status END
           WHERE id = $1`,
          [id, clock.now()],
        );
        await recordAudit(tx, actor, {
          action: 'session.erased',
          entityType: 'verification_session',
          entityId: id,
          customerId,
        });
      });
      if (s.face_template_id) await engines.face.templates.remove(customerId, s.face_template_id);
    },

    /**
     * Expires open sessions idle longer than their customer's `session_ttl_minutes`, and every open
     * session of a customer whose contract is no longer in force (cancelled or expired): the
     * applicant cannot finish it, and the customer's back end hears `session.expired`.
     */
    async expireIdle(): Promise<number> {
      const now = clock.now();
      const orphaned = await db.query<SessionRow>(
        `SELECT s.* FROM verification_sessions s
          WHERE s.status IN ('created', 'collecting', 'resubmission_requested')
            AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.customer_id = s.customer_id AND ${inForceSql('$1')})
          LIMIT 500`,
        [localDateOf(now)],
      );
      let ended = 0;
      for (const s of orphaned) if (await expireOne(s)) ended++;
      const candidates = await db.query<SessionRow>(
        `SELECT * FROM verification_sessions WHERE status IN ('created', 'collecting', 'resubmission_requested')
           AND last_activity_at < $1 ORDER BY last_activity_at LIMIT 500`,
        [new Date(now.getTime() - 5 * 60_000)],
      );
      const ttl = new Map<string, number>();
      let n = 0;
      for (const s of candidates) {
        if (!ttl.has(s.customer_id)) ttl.set(s.customer_id, await ttlMinutes(s.customer_id));
        if (new Date(s.last_activity_at).getTime() + ttl.get(s.customer_id)! * 60_000 > now.getTime())
          continue;
        if (await expireOne(s)) n++;
      }
      if (n + ended > 0) webhooks.notifyEnqueued();
      return n + ended;
    },

    /**
     * Sessions left `processing` longer than `processingStuckMs` (the job was lost beyond the queue's
     * retries, e.g. the process was killed mid-job): each is processed once more; one still stuck
     * as long again goes to manual review with reason `PROCESSING_STALLED` (no check ran to the
     * end, so nothing is billed).
     */
    async sweepStuck(): Promise<{ retried: number; review: number }> {
      const now = clock.now();
      const stuck = await db.query<SessionRow & { processing_retries: number }>(
        `SELECT * FROM verification_sessions WHERE status = 'processing' AND updated_at < $1
          ORDER BY updated_at LIMIT 100`,
        [new Date(now.getTime() - deps.processingStuckMs)],
      );
      let retried = 0;
      let review = 0;
      for (const s of stuck) {
        if (inflight.has(s.id)) continue; // slow, not lost
        if (s.processing_retries > 0) {
          if (await stalledToReview(s)) review++;
          continue;
        }
        const claimed = await db.query(
          `UPDATE verification_sessions SET processing_retries = processing_retries + 1, updated_at = $2
            WHERE id = $1 AND status = 'processing' AND processing_retries = 0 RETURNING id`,
          [s.id, now],
        );
        if (claimed.length === 0) continue;
        retried++;
        await startProcessing(s.id);
      }
      if (review > 0) webhooks.notifyEnqueued();
      return { retried, review };
    },
  };

  /** A session whose customer the user may see; another customer's session does not exist for them. */
  async function visibleSession(id: string, visible: (customerId: string) => Promise<boolean>) {
    const [s] = await db.query<SessionRow>('SELECT * FROM verification_sessions WHERE id = $1', [id]);
    if (!s || !(await visible(s.customer_id))) throw sessionError('ERR_SESSION_NOT_FOUND');
    return s;
  }

  /** A slot's bytes in clear, or null when it holds none (a shredded key throws: 410). */
  async function openedSlot(id: string, slot: Slot): Promise<Buffer | null> {
    const [u] = await db.query<{ content: Uint8Array }>(
      'SELECT content FROM session_uploads WHERE session_id = $1 AND slot = $2',
      [id, slot],
    );
    return u && u.content.length > 0 ? openUpload(id, slot, u.content) : null;
  }

  /** The chip's DG2 portrait as a displayable JPEG (JPEG2000 transcoded), or null. */
  async function chipFace(id: string): Promise<Buffer | null> {
    const chip = await openedSlot(id, 'chip');
    const dg2 = chip ? (JSON.parse(chip.toString('utf8')) as { dg2?: unknown }).dg2 : undefined;
    const face = typeof dg2 === 'string' ? extractFace(Buffer.from(dg2, 'base64')) : null;
    return face ? (await faceForDisplay(face)).jpeg : null;
  }

  async function enrollFace(s: SessionRow) {
    const tpl = engines.face.templates;
    if (!s.subject_ref || s.face_template_id) return;
    const [up] = await db.query<{ content: Buffer }>(
      "SELECT content FROM session_uploads WHERE session_id = $1 AND slot = 'selfie'",
      [s.id],
    );
    if (!up) return;
    try {
      const f = await engines.face.analyze(await openUpload(s.id, 'selfie', up.content), 'selfie');
      const { id } = await tpl.enroll(s.customer_id, s.subject_ref, f.descriptor);
      await db.query('UPDATE verification_sessions SET face_template_id = $2 WHERE id = $1', [s.id, id]);
    } catch {
      // No template: the duplicate rule just cannot see this face later.
    }
  }

  /** Fields the reader is sure of (two sources, or a QR/MRZ read): an OCR slip must not look like fraud. */
  function confidentDocumentFields(doc: DocumentReadResult): DocumentFields | null {
    const out: DocumentFields = {};
    for (const k of [
      'id_number',
      'old_id_number',
      'full_name',
      'date_of_birth',
      'sex',
      'date_of_expiry',
      'date_of_issue',
    ] as const) {
      const f = doc.fields[k as keyof DocumentReadResult['fields']];
      if (f?.value && (f.sources.length >= 2 || f.sources.includes('qr') || f.sources.includes('mrz')))
        out[k] = f.value;
    }
    return Object.keys(out).length > 0 ? out : null;
  }

  const codeOf = (e: unknown) =>
    e instanceof AppError && e.status < 500 ? e.code.replace(/^ERR_/, '') : null;

  async function runProcessing(id: string): Promise<void> {
    const [s] = await db.query<SessionRow>(
      "SELECT * FROM verification_sessions WHERE id = $1 AND status = 'processing'",
      [id],
    );
    if (!s) return;
    const rows = await db.query<{ slot: Slot; content: Buffer; meta: object }>(
      'SELECT slot, content, meta FROM session_uploads WHERE session_id = $1',
      [id],
    );
    let uploads: Map<Slot, Buffer>;
    let declared: SessionRow['declared'];
    try {
      uploads = new Map(
        await Promise.all(rows.map(async (u) => [u.slot, await openUpload(id, u.slot, u.content)] as const)),
      );
      declared = await readDeclared(s);
    } catch (e) {
      if (!(e instanceof CryptoError && e.reason === 'shredded')) throw e;
      // The customer's data keys were destroyed: nothing left to check, and retrying cannot help.
      await db.query(
        `UPDATE verification_sessions SET status = 'abandoned', updated_at = $2, completed_at = $2
          WHERE id = $1 AND status = 'processing'`,
        [id, clock.now()],
      );
      return;
    }
    const metas = new Map(rows.map((u) => [u.slot, u.meta]));
    const rules = await currentRules(db, s.customer_id);
    const input: DecisionInput = { checks: s.checks };
    const result: SessionResult = { scores: {}, extracted: {}, evidence: [], errors: {} };
    const extracted = (field: string, value: unknown, source: string) => {
      if (value === null || value === undefined || value === '' || field in result.extracted) return;
      result.extracted[field] = value;
      result.evidence.push({ field, source });
    };

    // Document first: its fields feed the chip's cross-check and its portrait the face match.
    let doc: DocumentReadResult | null = null;
    const front = uploads.get('document_front');
    if (s.checks.includes('document')) {
      try {
        if (!front) throw sessionError('ERR_SESSION_INCOMPLETE');
        doc = await engines.document.read(front, uploads.get('document_back'), clock.now());
        const quality = doc.checks.find((c) => c.code === 'IMAGE_QUALITY');
        const qualityIssues = quality?.status === 'warn' ? quality.detail.split('; ') : [];
        input.document = {
          readable: true,
          expired: doc.checks.some((c) => c.code === 'CARD_EXPIRED' && c.status === 'fail'),
          quality_issues: qualityIssues,
          checks: doc.checks.map((c) => ({ code: c.code, status: c.status })),
        };
        result.regions = regionsOf(doc);
        result.scores.document = {
          type: doc.document.type,
          sides: doc.document.sides,
          checks: doc.checks,
          quality: doc.quality,
          quality_issues: qualityIssues,
          field_confidence: Object.fromEntries(
            Object.entries(doc.fields).map(([k, f]) => [k, f?.confidence ?? 0]),
          ),
        };
      } catch (e) {
        const code = codeOf(e);
        if (!code) throw e;
        input.document = { readable: false, expired: null, quality_issues: [], error: code };
        result.errors.document = code;
      }
    }

    let chipFace: Buffer | null = null;
    if (s.checks.includes('chip')) {
      try {
        const body = JSON.parse(uploads.get('chip')?.toString('utf8') ?? '{}') as { sod: string };
        // DG13/DG1 against the card's printed fields (only those the reader is sure of).
        const docFields = doc ? confidentDocumentFields(doc) : null;
        const r = await engines.chip.verify(docFields ? { ...body, document: docFields } : body);
        input.chip = { checks: r.checks };
        result.scores.chip = { checks: r.checks };
        const dg13 = r.data.dg13;
        const mrz = r.data.mrz;
        extracted('id_number', dg13?.id_number, 'chip.dg13');
        extracted('full_name', dg13?.full_name, 'chip.dg13');
        extracted('date_of_birth', dg13?.date_of_birth, 'chip.dg13');
        extracted('document_number', mrz?.document_number, 'chip.dg1');
        extracted(
          'full_name',
          mrz ? [mrz.surname, mrz.given_names].filter(Boolean).join(' ') : null,
          'chip.dg1',
        );
        extracted('date_of_birth', mrz?.date_of_birth, 'chip.dg1');
        extracted('date_of_expiry', dg13?.date_of_expiry ?? mrz?.date_of_expiry, 'chip');
        extracted('sex', dg13?.sex ?? mrz?.sex, 'chip');
        extracted('nationality', mrz?.nationality, 'chip.dg1');
        if (r.data.face_image) chipFace = Buffer.from(r.data.face_image, 'base64');
      } catch (e) {
        const code = codeOf(e);
        if (!code) throw e;
        input.chip = { checks: [], error: `CHIP_${code.replace(/^CHIP_/, '')}` };
        result.errors.chip = code;
      }
    }
    // The card's fields after the chip's (the chip's are signed), each with the sources that agreed.
    if (doc) {
      for (const [k, f] of Object.entries(doc.fields)) {
        if (f?.value) extracted(k, f.value, `document.${f.sources.join('+') || 'ocr'}`);
      }
    }

    // The selfie: the uploaded one, else the liveness sequence's first (frontal) frame.
    const live = uploads.get('liveness');
    const liveMeta = metas.get('liveness') as Partial<LivenessSlotMeta> | undefined;
    const liveFrame = live && live.length > 0 && liveMeta?.state !== 'issued' ? live : null;
    const selfieImage = uploads.get('selfie') ?? liveFrame;
    const selfieSource = uploads.has('selfie') ? 'selfie' : 'liveness.frame';
    let selfie: AnalyzedFace | null = null;
    if (s.checks.includes('face')) {
      const face = engines.face;
      let side = 'selfie';
      try {
        if (!selfieImage) throw sessionError('ERR_SESSION_INCOMPLETE', 'no selfie');
        selfie = await face.analyze(selfieImage, 'selfie');
        side = 'reference';
        // Reference: the chip's DG2 (signed) when given, else the card portrait the reader located.
        let ref: AnalyzedFace | null = null;
        let refSource = 'chip.dg2';
        if (chipFace) ref = await face.analyze(chipFace, 'document');
        else if (front) {
          refSource = 'document_front';
          const box = doc?.portrait?.box;
          if (box) {
            try {
              ref = await face.analyze(await face.cropPortrait(front, box), 'document');
              refSource = 'document.portrait';
            } catch (e) {
              if (!codeOf(e)) throw e;
            }
          }
          ref ??= await face.analyze(front, 'document');
        }
        if (!ref) throw sessionError('ERR_SESSION_INCOMPLETE', 'no reference face');
        const c = face.compare(selfie, ref);
        input.face = { similarity: c.similarity, quality_issues: selfie.quality.issues };
        result.scores.face = {
          similarity: c.similarity,
          threshold: c.threshold,
          match: c.match,
          reference: refSource,
          probe: selfieSource,
          selfie_quality_issues: selfie.quality.issues,
        };
        result.evidence.push({ field: 'face', source: refSource });
      } catch (e) {
        const code = codeOf(e);
        if (!code) throw e;
        const reason = `${code}${side === 'selfie' ? '_SELFIE' : '_REFERENCE'}`;
        input.face = { similarity: null, quality_issues: [], error: reason };
        result.errors.face = reason;
      }
    }

    if (s.checks.includes('liveness')) {
      if (!liveMeta || liveMeta.state === 'issued') {
        input.liveness = { live: null, score: null, error: 'LIVENESS_NOT_CHECKED' };
      } else if (liveMeta.state === 'failed' || !liveMeta.verdict) {
        input.liveness = { live: false, score: null, error: liveMeta.error ?? 'LIVENESS_FAILED' };
        result.scores.liveness = { live: false, score: 0, error: liveMeta.error ?? null };
      } else {
        const v = liveMeta.verdict;
        // Same person: the live face against the selfie (when the selfie is a separate upload).
        let selfieSimilarity: number | null = null;
        if (liveFrame && uploads.has('selfie')) {
          try {
            const a = await engines.face.analyze(liveFrame, 'selfie');
            const b = selfie ?? (await engines.face.analyze(uploads.get('selfie')!, 'selfie'));
            selfieSimilarity = engines.face.compare(a, b).similarity;
          } catch (e) {
            if (!codeOf(e)) throw e;
          }
        }
        input.liveness = {
          live: v.live,
          score: v.score,
          selfie_similarity: selfieSimilarity,
          passive_warnings: v.passive_warnings ?? [],
        };
        result.scores.liveness = {
          live: v.live,
          score: v.score,
          checks: v.checks,
          actions: v.actions,
          challenge_id: liveMeta.challenge_id,
          selfie_similarity: selfieSimilarity,
          passive_warnings: v.passive_warnings ?? [],
        };
      }
    }

    const idNumber = (result.extracted.id_number as string | undefined) ?? declared.id_number;
    if (!result.extracted.id_number && declared.id_number) {
      result.evidence.push({ field: 'id_number', source: 'declared' });
    }
    if (
      declared.id_number &&
      typeof result.extracted.id_number === 'string' &&
      result.extracted.id_number !== declared.id_number
    ) {
      input.declared_id_mismatch = true;
    }
    const subjectRef = idNumber ? await subjectRefs.of(s.customer_id, idNumber) : null;
    if (selfie && s.checks.includes('face')) {
      const hits = await engines.face.templates.findDuplicates(s.customer_id, selfie.descriptor, {
        threshold: rules.rules.duplicate_face.min_similarity,
        ...(subjectRef ? { excludeSubject: subjectRef } : {}),
        limit: 3,
      });
      input.duplicates = hits;
      if (hits.length > 0)
        result.scores.duplicate_face = { matches: hits.length, best_similarity: hits[0]!.similarity };
    }

    const decision = decide(input, rules.rules);
    const sealedResult = await sealJson(s.customer_id, resultContext(id), result);
    const now = clock.now();
    const decided = await db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE verification_sessions SET status = $2, result = $3, reasons = $4, rule_version = $5, subject_ref = $6,
           completed_at = $7, updated_at = $7 WHERE id = $1 AND status = 'processing' RETURNING id`,
        [
          id,
          decision.status,
          JSON.stringify(sealedResult),
          JSON.stringify(decision.reasons),
          rules.version,
          subjectRef,
          now,
        ],
      );
      if (rows.length === 0) return false;
      // One usage event per check run: the same as the single calls it replaces.
      for (const c of s.checks) {
        await recordUsage(tx, {
          customerId: s.customer_id,
          apiKeyId: s.api_key_id,
          requestId: `${id}.${c}.${s.submitted_at ? new Date(s.submitted_at).getTime() : 0}`,
          kind: CHECK_USAGE_KIND[c] ?? c,
          at: now,
        });
      }
      await webhooks.enqueue(tx, s.customer_id, 'session.completed', {
        session_id: id,
        reference_id: s.reference_id,
        status: decision.status,
        reason_codes: decision.reasons.map((r) => r.code),
        rule_version: rules.version,
      });
      return true;
    });
    if (!decided) return;
    webhooks.notifyEnqueued();
    if (decision.status === 'approved' && selfie && subjectRef) {
      const { id: tid } = await engines.face.templates.enroll(s.customer_id, subjectRef, selfie.descriptor);
      await db.query('UPDATE verification_sessions SET face_template_id = $2 WHERE id = $1', [id, tid]);
    }
  }

  return Object.assign(service, {
    ruleVersion: (c: string, v: number) => rulesVersion(db, c, v),
    /** Keys subject references and seals face descriptors stored before either was protected (run at start). */
    upgradeLegacyData: async () => ({
      subjectRefs: await subjectRefs.rekeyLegacy(),
      templates: await engines.face.templates.sealLegacy(),
    }),
  });
}
export type SessionService = ReturnType<typeof createSessionService>;
