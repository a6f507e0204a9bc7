import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ACTIONS, type Frame, LIVENESS_LIMITS, livenessError } from '../../ekyc/liveness/engine.ts';
import { actorOf, currentScope } from '../../http/auth.ts';
import { installBillable } from '../../http/billable.ts';
import type { AppContext } from '../../http/context.ts';
import { createIdempotency, type Idempotency } from '../../http/idempotency.ts';
import type { MultipartPart } from '../../http/openapi.ts';
import { createRateLimiter, type RateLimiter } from '../../http/rate-limit.ts';
import { errorResponses, idParam, listOf } from '../../http/schemas.ts';
import { addDays, localInstant } from '../../lib/calendar/dates.ts';
import { envelopeFor } from '../../lib/crypto/keys.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { customerScopeSql } from '../accounts/scope.ts';
import { decisionRoutes } from '../decisions/decisions.routes.ts';
import { parseTimestamps } from '../liveness/liveness.routes.ts';
import { privacyServiceFor } from '../privacy/privacy.routes.ts';
import { webhookRoutes } from '../webhooks/webhooks.routes.ts';
import { createWebhookService, type WebhookService } from '../webhooks/webhooks.service.ts';
import { createEngines } from './engines.ts';
import {
  CASE_IMAGES,
  type CaseImage,
  createSessionService,
  type SessionConsent,
  type SessionService,
  type Slot,
  sessionError,
} from './sessions.service.ts';

export interface PublicApi {
  sessions: SessionService;
  webhooks: WebhookService;
  idempotency: Idempotency;
  rateLimiter: RateLimiter;
}
const registry = new WeakMap<AppContext, PublicApi>();

/** The services this module built for an app (tests and jobs use them directly). */
export function publicApiOf(ctx: AppContext): PublicApi {
  const api = registry.get(ctx);
  if (!api) throw new Error('publicApiRoutes is not registered on this app');
  return api;
}

/** Jobs of the public API: session processing and expiry, webhook delivery, idempotency purge. */
export function publicApiJobs(ctx: AppContext) {
  return [
    {
      name: 'sessions-process',
      handle: async (data: object) => {
        const id = (data as { id?: unknown }).id;
        if (typeof id === 'string') await publicApiOf(ctx).sessions.process(id);
      },
    },
    {
      name: 'sessions-expire',
      cron: '* * * * *',
      handle: async () => void (await publicApiOf(ctx).sessions.expireIdle()),
    },
    {
      name: 'sessions-sweep-stuck',
      cron: '*/5 * * * *',
      handle: async () => void (await publicApiOf(ctx).sessions.sweepStuck()),
    },
    {
      name: 'webhooks-deliver',
      cron: '* * * * *',
      handle: async () => void (await publicApiOf(ctx).webhooks.deliverDue()),
    },
    {
      name: 'idempotency-purge',
      cron: '17 * * * *',
      handle: async () => void (await publicApiOf(ctx).idempotency.purgeExpired()),
    },
  ];
}

export const sessionViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', examples: ['ses_0a1b2c3d4e5f6g7h8j9k'] },
    reference_id: { type: 'string' },
    status: {
      type: 'string',
      enum: [
        'created',
        'collecting',
        'processing',
        'approved',
        'declined',
        'review',
        'resubmission_requested',
        'expired',
        'abandoned',
      ],
    },
    checks: { type: 'array', items: { type: 'string', enum: ['document', 'face', 'liveness', 'chip'] } },
    locale: { type: 'string' },
    redirect_url: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    expires_at: { type: ['string', 'null'], description: 'When an open session expires if nothing happens' },
    submitted_at: { type: ['string', 'null'] },
    completed_at: { type: ['string', 'null'] },
    uploads: {
      type: 'array',
      items: { type: 'object', properties: { slot: { type: 'string' }, uploaded_at: { type: 'string' } } },
    },
    decision: {
      type: ['object', 'null'],
      properties: {
        rule_version: { type: 'integer' },
        reasons: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              code: { type: 'string', examples: ['FACE_MISMATCH'] },
              check: { type: 'string' },
              outcome: { type: 'string', enum: ['approve', 'review', 'decline'] },
            },
          },
        },
      },
    },
    reason_codes: { type: 'array', items: { type: 'string' } },
    scores: {
      type: 'object',
      additionalProperties: true,
      description: 'Per check: similarity, threshold, chip checks …',
    },
    extracted: {
      type: 'object',
      additionalProperties: true,
      description: 'Fields read from the document and chip',
    },
    evidence: {
      type: 'array',
      description: 'Which source gave which field',
      items: { type: 'object', properties: { field: { type: 'string' }, source: { type: 'string' } } },
    },
    review: {
      type: ['object', 'null'],
      properties: {
        decision: { type: 'string' },
        note: { type: ['string', 'null'] },
        by: { type: ['string', 'null'] },
        at: { type: 'string' },
      },
    },
    erased: { type: 'boolean' },
  },
  examples: [
    {
      id: 'ses_0a1b2c3d4e5f6g7h8j9k',
      reference_id: 'loan-2026-0001',
      status: 'approved',
      checks: ['document', 'face', 'liveness'],
      locale: 'vi',
      redirect_url: 'https://bank.example.vn/ekyc/done',
      created_at: '2026-11-24T03:00:00.000Z',
      updated_at: '2026-11-24T03:02:41.000Z',
      expires_at: null,
      submitted_at: '2026-11-24T03:02:30.000Z',
      completed_at: '2026-11-24T03:02:41.000Z',
      uploads: [
        { slot: 'document_back', uploaded_at: '2026-11-24T03:01:05.000Z' },
        { slot: 'document_front', uploaded_at: '2026-11-24T03:00:48.000Z' },
        { slot: 'liveness', uploaded_at: '2026-11-24T03:02:20.000Z' },
        { slot: 'selfie', uploaded_at: '2026-11-24T03:01:30.000Z' },
      ],
      decision: { rule_version: 3, reasons: [] },
      reason_codes: [],
      scores: {
        face: { similarity: 0.82, threshold: 0.5, reference: 'document' },
        liveness: { live: true, score: 0.93 },
      },
      extracted: {
        id_number: '001099012345',
        full_name: 'NGUYỄN VĂN AN',
        date_of_birth: '1999-05-14',
        sex: 'M',
        date_of_expiry: '2039-05-14',
      },
      evidence: [
        { field: 'id_number', source: 'qr' },
        { field: 'full_name', source: 'qr' },
        { field: 'date_of_birth', source: 'qr' },
        { field: 'sex', source: 'ocr' },
        { field: 'date_of_expiry', source: 'ocr' },
      ],
      review: null,
      erased: false,
    },
  ],
} as const;

const createdSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['created'] },
    checks: { type: 'array', items: { type: 'string' } },
    capture_url: {
      type: 'string',
      description: 'Hosted capture page for the applicant (single-session token)',
    },
    capture_token_expires_at: { type: 'string' },
    expires_at: { type: 'string' },
  },
  examples: [
    {
      id: 'ses_0a1b2c3d4e5f6g7h8j9k',
      status: 'created',
      checks: ['document', 'face', 'liveness'],
      capture_url: 'https://ekyc.mobifone.vn/capture/cap_Xq3vYt0bK2mN8pR5sW7zA1cD4eF6',
      capture_token_expires_at: '2026-11-24T04:00:00.000Z',
      expires_at: '2026-11-24T03:30:00.000Z',
    },
  ],
} as const;

const sessionSummarySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    reference_id: { type: 'string' },
    status: { type: 'string' },
    checks: { type: 'array', items: { type: 'string' } },
    reason_codes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    completed_at: { type: ['string', 'null'] },
  },
  examples: [
    {
      id: 'ses_0a1b2c3d4e5f6g7h8j9k',
      reference_id: 'loan-2026-0001',
      status: 'review',
      checks: ['document', 'face'],
      reason_codes: ['DUPLICATE_FACE'],
      created_at: '2026-11-24T03:00:00.000Z',
      completed_at: '2026-11-24T03:02:41.000Z',
    },
  ],
} as const;

const sessionParams = idParam('id', 'ses');
/** What any upload to an open session can be refused with. */
const UPLOAD_ERRORS = [
  'ERR_SESSION_STATE',
  'ERR_UPLOAD_NOT_REQUESTED',
  'ERR_UPLOAD_MISSING',
  'ERR_UPLOAD_INVALID',
  'ERR_DATA_ERASED',
] as const;
/** The session's liveness step: its own refusals, then the engine's and the challenge's. */
const LIVENESS_ERRORS = [
  'ERR_SESSION_STATE',
  'ERR_UPLOAD_NOT_REQUESTED',
  'ERR_LIVENESS_ATTEMPTS_EXHAUSTED',
  'ERR_LIVENESS_CHALLENGE_MISMATCH',
  'ERR_LIVENESS_FRAMES_COUNT',
  'ERR_LIVENESS_FRAMES_ORDER',
  'ERR_LIVENESS_FRAME_RATE',
  'ERR_LIVENESS_NO_FACE',
  'ERR_LIVENESS_FACE_CHANGED',
  'ERR_LIVENESS_CHALLENGE_EXPIRED',
  'ERR_LIVENESS_CHALLENGE_USED',
  'ERR_LIVENESS_REPLAY',
  'ERR_DATA_ERASED',
] as const;
const consentProperties = {
  text_version: {
    type: 'string',
    pattern: '^[\\w.:-]{1,64}$',
    description: 'Version label of the consent text the applicant was shown',
    examples: ['mobifone-ekyc-2026-01'],
  },
  purpose: {
    type: 'string',
    pattern: '^[a-zA-Z0-9_.-]{1,64}$',
    default: 'ekyc_verification',
    description: 'What the applicant agreed to',
  },
  text: {
    type: 'string',
    minLength: 1,
    maxLength: 20_000,
    description: 'The text shown, if at hand: only its SHA-256 is kept',
  },
} as const;
const consentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['text_version'],
  properties: consentProperties,
  examples: [{ text_version: 'mobifone-ekyc-2026-01', purpose: 'ekyc_verification' }],
} as const;
const consentRecordedSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', examples: ['cns_0a1b2c3d4e5f6g7h8j9k'] },
    session_id: { type: 'string' },
    granted_at: { type: 'string', format: 'date-time' },
  },
  examples: [
    {
      id: 'cns_0a1b2c3d4e5f6g7h8j9k',
      session_id: 'ses_0a1b2c3d4e5f6g7h8j9k',
      granted_at: '2026-11-24T03:00:20.000Z',
    },
  ],
} as const;
const tokenParams = {
  type: 'object',
  properties: { token: { type: 'string', pattern: '^cap_[A-Za-z0-9_-]{20,64}$' } },
  required: ['token'],
  additionalProperties: false,
} as const;
const base64 = { type: 'string', pattern: '^[A-Za-z0-9+/_=\\s-]+$', maxLength: 2_000_000 } as const;
const chipBody = {
  type: 'object',
  description: 'Chip files as read by the reader, base64: `sod` required, `com` and `dg1`…`dg16` as read.',
  properties: {
    sod: base64,
    com: base64,
    ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`dg${i + 1}`, base64])),
  },
  required: ['sod'],
  additionalProperties: false,
  examples: [
    {
      sod: 'd4IGxzCCBsMGCSqGSIb3DQEHAqCCBrQwggawAgEDMQ8wDQYJYIZIAWUDBAIBBQAw',
      com: 'YBZfAQQwMTA3XFxhAmF1dXZr',
      dg1: 'YV1fH1pJRFZOTTAwMTA5OTAxMjM0NTwwMDEwOTkwMTIzNDU',
      dg13: 'bYIBxDCCAcACAQEwEAIBARMMMDAxMDk5MDEyMzQ1',
    },
  ],
} as const;

export async function publicApiRoutes(app: FastifyInstance, ctx: AppContext) {
  const { db, clock } = ctx;
  // HTTP behaviour of every /v1 route registered after this module: metering, rate limit, idempotency.
  const idempotency = createIdempotency({ db, clock, staleMs: ctx.config.idempotencyStaleMs });
  const rateLimiter = createRateLimiter({
    db,
    clock,
    defaults: { requestsPerSecond: ctx.config.rateLimitRps, burst: ctx.config.rateLimitBurst },
  });
  installBillable(app, { db, clock });
  idempotency.install(app);
  const rate = rateLimiter.hook();
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return;
    const pre = route.preHandler
      ? Array.isArray(route.preHandler)
        ? [...route.preHandler]
        : [route.preHandler]
      : [];
    const at = pre.indexOf(ctx.guards.apiClient);
    if (at < 0) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const extra: preHandlerAsyncHookHandler[] = [rate];
    if (methods.some((m) => m === 'POST' || m === 'PUT')) extra.push(idempotency.preHandler);
    pre.splice(at + 1, 0, ...extra);
    route.preHandler = pre;
  });

  const envelope = await envelopeFor(ctx);
  const engines = createEngines({ db, clock, envelope });
  app.addHook('onClose', () => engines.close());
  const webhooks = createWebhookService({
    db,
    clock,
    notifier: ctx.notifier,
    onEnqueued: () => {
      if (ctx.queue) void ctx.queue.send('webhooks-deliver', {}).catch(() => {});
      else void webhooks.deliverDue().catch(() => {});
    },
  });
  const privacy = await privacyServiceFor(ctx);
  const sessions = createSessionService({
    db,
    clock,
    engines,
    webhooks,
    envelope,
    recordConsent: (input, tx) => privacy.recordConsent(input, tx),
    publicUrl: ctx.config.publicUrl,
    livenessMaxAttempts: ctx.config.livenessMaxAttempts,
    processingStuckMs: ctx.config.processingStuckMinutes * 60_000,
    enqueueProcessing: async (id) => {
      if (ctx.queue) await ctx.queue.send('sessions-process', { id }, { singletonKey: id });
      else void sessions.process(id).catch(() => {});
    },
  });
  registry.set(ctx, { sessions, webhooks, idempotency, rateLimiter });

  const client = (req: FastifyRequest) => req.apiClient!;
  const v1 = { preHandler: ctx.guards.apiClient };
  const sec = [{ bearerAuth: [] }];

  app.post<{
    Body: {
      reference_id: string;
      checks: Array<'document' | 'face' | 'liveness' | 'chip'>;
      redirect_url?: string;
      locale?: string;
      id_number?: string;
      consent?: SessionConsent;
    };
  }>(
    '/v1/sessions',
    {
      ...v1,
      schema: {
        tags: ['sessions'],
        summary: 'Start a verification session',
        description: `Asks for the checks to run: \`document\` (front, optional back), \`face\` (selfie against the chip's DG2 or the card portrait), \`liveness\` (challenge + frames) and \`chip\` (NFC files). Feed the uploads through the API or send the applicant to \`capture_url\`. Send \`Idempotency-Key\` to retry safely.`,
        security: sec,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 100 } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reference_id', 'checks'],
          properties: {
            reference_id: {
              type: 'string',
              minLength: 1,
              maxLength: 100,
              description: "The integrator's own reference",
            },
            checks: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', enum: ['document', 'face', 'liveness', 'chip'] },
            },
            redirect_url: { type: 'string', format: 'uri', maxLength: 2000, pattern: '^https?://' },
            locale: { type: 'string', enum: ['vi', 'en'] },
            id_number: {
              type: 'string',
              pattern: '^[0-9]{9,12}$',
              description:
                'ID number declared by the integrator (used for the duplicate-face rule when no document/chip gives one)',
            },
            consent: {
              type: 'object',
              additionalProperties: false,
              required: ['text_version'],
              description:
                "The applicant's consent collected by the integrator's own app (Decree 13/2023): recorded with the session, with `ip` the applicant's address if known",
              properties: {
                ...consentProperties,
                ip: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
              },
            },
          },
          examples: [{ reference_id: 'loan-2026-0001', checks: ['face'], locale: 'vi' }],
        },
        response: { 201: createdSchema, ...errorResponses('ERR_CHECK_REQUIRED', 'ERR_CONSENT_INVALID') },
      },
    },
    async (req, reply) => {
      const c = client(req);
      return reply
        .code(201)
        .send(await sessions.create({ customerId: c.customerId, keyId: c.keyId }, req.body));
    },
  );

  app.get<{ Querystring: { status?: never; from?: string; to?: string; cursor?: string; limit?: number } }>(
    '/v1/sessions',
    {
      ...v1,
      schema: {
        tags: ['sessions'],
        summary: 'List sessions, newest first, with a cursor',
        security: sec,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: sessionViewSchema.properties.status,
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            cursor: { type: 'string', maxLength: 200 },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
        },
        response: {
          200: listOf(sessionSummarySchema, { cursor: true }),
          ...errorResponses('ERR_CURSOR'),
        },
      },
    },
    async (req) => sessions.list(client(req).customerId, req.query),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/sessions/:id',
    {
      ...v1,
      schema: {
        tags: ['sessions'],
        summary: 'Status, decision, reason codes, scores, extracted data and evidence',
        security: sec,
        params: sessionParams,
        response: { 200: sessionViewSchema, ...errorResponses('ERR_SESSION_NOT_FOUND', 'ERR_DATA_ERASED') },
      },
    },
    async (req) => sessions.status(client(req).customerId, req.params.id),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/sessions/:id',
    {
      ...v1,
      schema: {
        tags: ['sessions'],
        summary: "Erase the session's personal data (uploads, extracted data, face template)",
        description: 'The usage record and an anonymous audit entry remain.',
        security: sec,
        params: sessionParams,
        response: {
          204: { type: 'null', description: 'Erased' },
          ...errorResponses('ERR_SESSION_NOT_FOUND'),
        },
      },
    },
    async (req, reply) => {
      await sessions.erase(client(req).customerId, req.params.id, actorOf(req));
      return reply.code(204).send();
    },
  );

  // Uploads, through the API (key) or the hosted capture page (token).
  const uploadSlots: Array<{ path: string; slot: Slot; summary: string }> = [
    { path: 'documents/front', slot: 'document_front', summary: 'Upload the front of the ID card' },
    { path: 'documents/back', slot: 'document_back', summary: 'Upload the back of the ID card' },
    { path: 'selfie', slot: 'selfie', summary: 'Upload the selfie' },
  ];

  const uploadPart = {
    file: { file: true, required: true, description: 'JPEG, PNG or WebP, ≤ 10 MB' },
  } satisfies Record<string, MultipartPart>;

  async function readUpload(req: FastifyRequest, reply: FastifyReply, slot: Slot) {
    if (!req.isMultipart()) throw sessionError('ERR_UPLOAD_MISSING');
    let file: Buffer | null = null;
    let type = 'application/octet-stream';
    for await (const part of req.parts({ limits: { files: 1, fields: 5 } })) {
      if (part.type === 'file' && part.fieldname === 'file') {
        file = await part.toBuffer();
        type = part.mimetype;
      } else if (part.type === 'file') await part.toBuffer();
    }
    if (!file || file.length === 0) throw sessionError('ERR_UPLOAD_MISSING');
    const replayed = await idempotency.begin(req, reply, `${slot}:${sha256Hex(file)}`);
    return { file, type, replayed };
  }

  for (const u of uploadSlots) {
    app.put<{ Params: { id: string } }>(
      `/v1/sessions/:id/${u.path}`,
      {
        ...v1,
        config: { idempotency: 'handler' },
        schema: {
          tags: ['sessions'],
          summary: u.summary,
          description:
            'multipart/form-data with one part `file` (JPEG, PNG or WebP, ≤ 10 MB); checked at once.',
          security: sec,
          multipart: uploadPart,
          params: sessionParams,
          response: { 200: sessionViewSchema, ...errorResponses('ERR_SESSION_NOT_FOUND', ...UPLOAD_ERRORS) },
        },
      },
      async (req, reply) => {
        const { file, type, replayed } = await readUpload(req, reply, u.slot);
        if (replayed) return reply;
        return sessions.upload(client(req).customerId, req.params.id, u.slot, file, type);
      },
    );
    app.put<{ Params: { token: string } }>(
      `/v1/capture/:token/${u.path}`,
      {
        schema: {
          tags: ['capture'],
          summary: `${u.summary} (hosted capture page, authenticated by the capture token)`,
          multipart: uploadPart,
          params: tokenParams,
          response: { 200: sessionViewSchema, ...errorResponses('ERR_CAPTURE_TOKEN', ...UPLOAD_ERRORS) },
        },
      },
      async (req, reply) => {
        const s = await sessions.fromCaptureToken(req.params.token);
        const { file, type } = await readUpload(req, reply, u.slot);
        return capturedView(await sessions.upload(s.customer_id, s.id, u.slot, file, type));
      },
    );
  }

  app.put<{ Params: { id: string }; Body: Record<string, string> }>(
    '/v1/sessions/:id/chip',
    {
      ...v1,
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        tags: ['sessions'],
        summary: 'Upload the chip files read by an NFC reader',
        security: sec,
        params: sessionParams,
        body: chipBody,
        response: {
          200: sessionViewSchema,
          ...errorResponses(
            'ERR_SESSION_NOT_FOUND',
            'ERR_SESSION_STATE',
            'ERR_UPLOAD_NOT_REQUESTED',
            'ERR_DATA_ERASED',
          ),
        },
      },
    },
    async (req) =>
      sessions.upload(
        client(req).customerId,
        req.params.id,
        'chip',
        Buffer.from(JSON.stringify(req.body)),
        'application/json',
      ),
  );

  // Liveness: one route issues the challenge (no body) or verifies the frames answering it (multipart).
  const challengeSchema = {
    type: 'object',
    properties: {
      id: { type: 'string', examples: ['lvc_0a1b2c3d4e5f6g7h8j9k'] },
      actions: { type: 'array', items: { type: 'string', enum: [...ACTIONS] } },
      nonce: { type: 'string' },
      expires_at: { type: 'string', format: 'date-time' },
    },
    examples: [
      {
        id: 'lvc_0a1b2c3d4e5f6g7h8j9k',
        actions: ['turn_left', 'blink'],
        nonce: 'Zr8pQ2xW4kLm7nB1',
        expires_at: '2026-11-24T03:03:00.000Z',
      },
    ],
  } as const;
  const livenessVerdictSchema = {
    type: 'object',
    properties: {
      challenge_id: { type: 'string' },
      live: { type: 'boolean' },
      score: { type: 'number' },
      checks: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            passed: { type: 'boolean' },
            detail: { type: 'string' },
            value: { type: 'number' },
          },
        },
      },
      actions: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            action: { type: 'string' },
            done: { type: 'boolean' },
            at_ms: { type: ['number', 'null'] },
          },
        },
      },
      passive_warnings: {
        type: 'array',
        description: 'Passive signals that warned (reported, never deciding live alone)',
        items: { type: 'string', enum: ['screen_moire', 'frozen_frames'] },
      },
    },
  } as const;
  // No part is required: without a body the route issues the challenge.
  const livenessParts = {
    challenge_id: { description: 'The challenge these frames answer' },
    frames: { file: true, many: true, description: 'JPEG frames in capture order' },
    timestamps: { description: 'Capture times in ms, one per frame: JSON array or comma-separated' },
  } satisfies Record<string, MultipartPart>;
  const livenessDescription = `Without a body: issues the session's liveness challenge (201: 2–3 actions among ${ACTIONS.join(', ')}, single use, 60 s). Then multipart/form-data with \`challenge_id\`, \`frames\` (JPEG, one part per frame in capture order, ≥ 4 per second, ${LIVENESS_LIMITS.minFrames}–${LIVENESS_LIMITS.maxFrames}) and \`timestamps\` (JSON array or comma-separated ms): verified at once (200). The camera image is not mirrored: turn_left is the person's own left. A sequence showing two people is kept as a failed attempt; issue a new challenge to retry.`;

  async function liveness(req: FastifyRequest, reply: FastifyReply, customerId: string, id: string) {
    if (!req.isMultipart()) {
      if (
        req.routeOptions.url?.startsWith('/v1/sessions/') &&
        (await idempotency.begin(req, reply, 'challenge'))
      )
        return { replayed: true as const };
      return { challenge: await sessions.livenessChallenge(customerId, id) };
    }
    const images: Buffer[] = [];
    const fields = new Map<string, string>();
    const max = LIVENESS_LIMITS.maxFrames + 1;
    for await (const part of req.parts({ limits: { files: max, fields: 5, parts: max + 5 } })) {
      if (part.type === 'file') {
        const buf = await part.toBuffer();
        if (part.fieldname === 'frames') images.push(buf);
      } else fields.set(part.fieldname, String(part.value ?? ''));
    }
    if (images.length < LIVENESS_LIMITS.minFrames || images.length > LIVENESS_LIMITS.maxFrames) {
      throw livenessError('ERR_LIVENESS_FRAMES_COUNT');
    }
    const challengeId = fields.get('challenge_id') ?? '';
    if (!/^lvc_[A-Za-z0-9]{8,40}$/.test(challengeId)) throw sessionError('ERR_LIVENESS_CHALLENGE_MISMATCH');
    const ts = parseTimestamps(fields.get('timestamps'), images.length);
    if (req.routeOptions.url?.startsWith('/v1/sessions/')) {
      const fp = `liveness:${challengeId}:${sha256Hex(Buffer.concat(images.map((b) => Buffer.from(sha256Hex(b)))))}:${ts.join(',')}`;
      if (await idempotency.begin(req, reply, fp)) return { replayed: true as const };
    }
    const frames: Frame[] = images.map((image, i) => ({ image, t: ts[i]! }));
    return { verified: await sessions.livenessVerify(customerId, id, challengeId, frames) };
  }

  app.post<{ Params: { id: string } }>(
    '/v1/sessions/:id/liveness',
    {
      ...v1,
      config: { idempotency: 'handler' },
      schema: {
        tags: ['sessions'],
        summary: "Liveness: issue the session's challenge, then send the frames answering it",
        description: livenessDescription,
        security: sec,
        multipart: livenessParts,
        params: sessionParams,
        response: {
          200: {
            type: 'object',
            properties: { ...sessionViewSchema.properties, liveness: livenessVerdictSchema },
            examples: [
              {
                ...sessionViewSchema.examples[0],
                status: 'collecting',
                updated_at: '2026-11-24T03:02:20.000Z',
                expires_at: '2026-11-24T03:32:20.000Z',
                submitted_at: null,
                completed_at: null,
                decision: null,
                scores: {},
                extracted: {},
                evidence: [],
                liveness: {
                  challenge_id: 'lvc_0a1b2c3d4e5f6g7h8j9k',
                  live: true,
                  score: 0.93,
                  checks: [
                    { name: 'actions', passed: true, detail: '2/2 actions done in order' },
                    { name: 'planar_residual', passed: true, value: 0.021 },
                    { name: 'nose_parallax', passed: true, value: 0.41 },
                    { name: 'same_face', passed: true, value: 0.18 },
                  ],
                  actions: [
                    { action: 'turn_left', done: true, at_ms: 1250 },
                    { action: 'blink', done: true, at_ms: 2875 },
                  ],
                },
              },
            ],
          },
          201: challengeSchema,
          ...errorResponses('ERR_SESSION_NOT_FOUND', ...LIVENESS_ERRORS),
        },
      },
    },
    async (req, reply) => {
      const r = await liveness(req, reply, client(req).customerId, req.params.id);
      if ('replayed' in r) return reply;
      if ('challenge' in r) return reply.code(201).send(r.challenge);
      return { ...r.verified.view, liveness: r.verified.verdict };
    },
  );

  app.post<{ Params: { token: string } }>(
    '/v1/capture/:token/liveness',
    {
      schema: {
        tags: ['capture'],
        summary: 'Liveness from the hosted capture page (authenticated by the capture token)',
        description: livenessDescription,
        multipart: livenessParts,
        params: tokenParams,
        response: {
          200: sessionViewSchema,
          201: challengeSchema,
          ...errorResponses('ERR_CAPTURE_TOKEN', ...LIVENESS_ERRORS),
        },
      },
    },
    async (req, reply) => {
      const s = await sessions.fromCaptureToken(req.params.token);
      const r = await liveness(req, reply, s.customer_id, s.id);
      if ('replayed' in r) return reply;
      if ('challenge' in r) return reply.code(201).send(r.challenge);
      return capturedView(r.verified.view);
    },
  );

  app.post<{ Params: { id: string }; Body: SessionConsent }>(
    '/v1/sessions/:id/consent',
    {
      ...v1,
      schema: {
        tags: ['sessions'],
        summary: "Record the applicant's consent (text version, time; `ip` if known) for an open session",
        security: sec,
        params: sessionParams,
        body: {
          ...consentSchema,
          properties: {
            ...consentProperties,
            ip: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
          },
        },
        response: {
          201: consentRecordedSchema,
          ...errorResponses('ERR_SESSION_NOT_FOUND', 'ERR_SESSION_STATE', 'ERR_CONSENT_INVALID'),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await sessions.consent(client(req).customerId, req.params.id, req.body)),
  );

  app.post<{ Params: { token: string }; Body: Omit<SessionConsent, 'ip'> }>(
    '/v1/capture/:token/consent',
    {
      schema: {
        tags: ['capture'],
        summary: "The capture page's consent step: records the text version, the time and the applicant's IP",
        params: tokenParams,
        body: consentSchema,
        response: {
          201: consentRecordedSchema,
          ...errorResponses('ERR_CAPTURE_TOKEN', 'ERR_SESSION_STATE', 'ERR_CONSENT_INVALID'),
        },
      },
    },
    async (req, reply) => {
      const s = await sessions.fromCaptureToken(req.params.token);
      const { text_version, purpose, text } = req.body;
      const c: SessionConsent = { text_version, ip: req.ip };
      if (purpose !== undefined) c.purpose = purpose;
      if (text !== undefined) c.text = text;
      return reply.code(201).send(await sessions.consent(s.customer_id, s.id, c));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/sessions/:id/submit',
    {
      ...v1,
      schema: {
        tags: ['sessions'],
        summary: 'Submit: the checks run in the background; poll GET or wait for the webhook',
        security: sec,
        params: sessionParams,
        response: {
          202: sessionViewSchema,
          ...errorResponses(
            'ERR_SESSION_NOT_FOUND',
            'ERR_SESSION_STATE',
            'ERR_SESSION_INCOMPLETE',
            'ERR_DATA_ERASED',
          ),
        },
      },
    },
    async (req, reply) => reply.code(202).send(await sessions.submit(client(req).customerId, req.params.id)),
  );

  const capturedView = (v: Awaited<ReturnType<SessionService['status']>>) => ({
    ...v,
    extracted: {},
    evidence: [],
    scores: {},
    reference_id: '',
  });

  app.get<{ Params: { token: string } }>(
    '/v1/capture/:token',
    {
      schema: {
        tags: ['capture'],
        summary: 'What the hosted capture page needs: checks, status, uploads so far, locale, redirect',
        params: tokenParams,
        response: { 200: sessionViewSchema, ...errorResponses('ERR_CAPTURE_TOKEN', 'ERR_DATA_ERASED') },
      },
    },
    async (req) => {
      const s = await sessions.fromCaptureToken(req.params.token);
      return capturedView(await sessions.status(s.customer_id, s.id));
    },
  );

  app.post<{ Params: { token: string } }>(
    '/v1/capture/:token/submit',
    {
      schema: {
        tags: ['capture'],
        summary: 'Submit from the hosted capture page',
        params: tokenParams,
        response: {
          202: sessionViewSchema,
          ...errorResponses(
            'ERR_CAPTURE_TOKEN',
            'ERR_SESSION_STATE',
            'ERR_SESSION_INCOMPLETE',
            'ERR_DATA_ERASED',
          ),
        },
      },
    },
    async (req, reply) => {
      const s = await sessions.fromCaptureToken(req.params.token);
      return reply.code(202).send(capturedView(await sessions.submit(s.customer_id, s.id)));
    },
  );

  // Back office: the review queue and manual decisions (portal).
  const REVIEWERS = ['admin', 'operator', 'customer_admin'] as const;
  /** Whether the logged-in user's scope covers a customer (another customer's session answers 404). */
  const visibleTo = (req: FastifyRequest) => {
    const scope = currentScope(req);
    return async (customerId: string) => {
      const params: unknown[] = [customerId];
      const cond = customerScopeSql(scope, 'c.id', params as never[]);
      return (
        (await db.query(`SELECT 1 FROM customers c WHERE c.id = $1 AND ${cond}`, params as string[])).length >
        0
      );
    };
  };
  app.get<{
    Querystring: { status?: string; q?: string; from?: string; to?: string; limit?: number; offset?: number };
  }>(
    '/api/verification-sessions',
    {
      preHandler: ctx.guards.user(...REVIEWERS, 'support_agent', 'unit_user', 'am', 'kam'),
      schema: {
        tags: ['sessions'],
        summary:
          'Sessions visible to the user (e.g. the review queue with status=review); q: a session id, or the start of a reference_id; from/to: created on these local days',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: sessionViewSchema.properties.status,
            q: { type: 'string', minLength: 1, maxLength: 200 },
            from: { type: 'string', format: 'date', description: 'First local day (Asia/Ho_Chi_Minh)' },
            to: { type: 'string', format: 'date', description: 'Last local day, included' },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: {
          200: listOf({
            type: 'object',
            properties: {
              id: { type: 'string' },
              customer_id: { type: 'string' },
              reference_id: { type: 'string' },
              status: { type: 'string' },
              checks: { type: 'array', items: { type: 'string' } },
              reason_codes: { type: 'array', items: { type: 'string' } },
              scores: { type: 'object', additionalProperties: true },
              rule_version: { type: ['integer', 'null'] },
              created_at: { type: 'string' },
            },
          }),
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const params: unknown[] = [];
      const scope = customerScopeSql(currentScope(req), 's.customer_id', params as never[]);
      const where = [scope];
      const { status, q, from, to } = req.query;
      if (status) where.push(`s.status = $${params.push(status)}`);
      if (q) {
        const n = params.push(q.trim());
        where.push(`(s.id = $${n} OR starts_with(s.reference_id, $${n}))`);
      }
      // Local days: the customer's "sessions of 24/11" start at 00:00 in Hà Nội, 17:00 UTC the day before.
      if (from) where.push(`s.created_at >= $${params.push(localInstant(from, 0))}`);
      if (to) where.push(`s.created_at < $${params.push(localInstant(addDays(to, 1), 0))}`);
      const rows = await db.query<{
        id: string;
        customer_id: string;
        reference_id: string;
        status: string;
        checks: string[];
        reasons: Array<{ code: string }>;
        result: unknown;
        rule_version: number | null;
        created_at: Date;
      }>(
        `SELECT s.id, s.customer_id, s.reference_id, s.status, s.checks, s.reasons, s.result, s.rule_version, s.created_at
           FROM verification_sessions s WHERE ${where.join(' AND ')} ORDER BY s.created_at DESC, s.id DESC LIMIT ${req.query.limit ?? 50} OFFSET ${req.query.offset ?? 0}`,
        params as string[],
      );
      return {
        items: await Promise.all(
          rows.map(async (r) => ({
            id: r.id,
            customer_id: r.customer_id,
            reference_id: r.reference_id,
            status: r.status,
            checks: r.checks,
            reason_codes: r.reasons.map((x) => x.code),
            scores: await sessions.scoresOf(r),
            rule_version: r.rule_version,
            created_at: new Date(r.created_at).toISOString(),
          })),
        ),
      };
    },
  );

  app.post<{
    Params: { id: string };
    Body: { decision: 'approved' | 'declined' | 'resubmission_requested'; note?: string };
  }>(
    '/api/verification-sessions/:id/review',
    {
      preHandler: ctx.guards.user(...REVIEWERS),
      schema: {
        tags: ['sessions'],
        summary: 'Manual review decision on a session in review; fires session.review_decided',
        params: sessionParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision'],
          properties: {
            decision: { type: 'string', enum: ['approved', 'declined', 'resubmission_requested'] },
            note: { type: 'string', maxLength: 1000 },
          },
        },
        response: {
          200: sessionViewSchema,
          ...errorResponses('ERR_SESSION_NOT_FOUND', 'ERR_REVIEW_STATE', 'ERR_DATA_ERASED'),
        },
      },
    },
    async (req) =>
      sessions.reviewDecision(
        req.params.id,
        req.body.decision,
        req.body.note ?? null,
        actorOf(req),
        visibleTo(req),
      ),
  );

  // The case view: what a reviewer needs to decide, images streamed one by one (never cached).
  app.get<{ Params: { id: string } }>(
    '/api/verification-sessions/:id',
    {
      preHandler: ctx.guards.user(...REVIEWERS),
      schema: {
        tags: ['sessions'],
        summary:
          'A session for review: extracted fields with their sources, checks, scores against the thresholds of its rule version, reason codes and its images',
        description: 'Each view is audited (`session.case_viewed`): it shows personal data.',
        params: sessionParams,
        response: {
          200: {
            type: 'object',
            properties: {
              ...sessionViewSchema.properties,
              customer_id: { type: 'string' },
              regions: {
                type: ['object', 'null'],
                description:
                  "Where the document reader found each field, the card's corners and the portrait, in pixels of the stored image of that side as displayed (EXIF orientation applied); null when no document was read",
                properties: {
                  fields: {
                    type: 'object',
                    additionalProperties: {
                      type: 'object',
                      properties: {
                        side: { type: 'string', enum: ['front', 'back'] },
                        box: { type: 'array', items: { type: 'integer' }, description: '[x, y, w, h]' },
                      },
                    },
                  },
                  corners: {
                    type: 'object',
                    description: "Per side: four [x, y] points, the card's own top-left first, clockwise",
                    additionalProperties: {
                      type: 'array',
                      items: { type: 'array', items: { type: 'number' } },
                    },
                  },
                  portrait: { type: ['array', 'null'], items: { type: 'integer' } },
                },
              },
              images: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    kind: { type: 'string', enum: Object.keys(CASE_IMAGES) },
                    url: { type: 'string' },
                  },
                },
              },
              liveness_frames: {
                type: 'array',
                description: 'The liveness frame at each action the engine saw, in the order seen',
                items: {
                  type: 'object',
                  properties: {
                    action: { type: 'string' },
                    at_ms: { type: 'integer', description: 'ms after the first frame with a face' },
                    url: { type: 'string' },
                  },
                },
              },
              thresholds: {
                type: ['object', 'null'],
                additionalProperties: true,
                description: 'face, liveness and duplicate_face thresholds of the rule version applied',
              },
            },
          },
          ...errorResponses('ERR_SESSION_NOT_FOUND', 'ERR_DATA_ERASED'),
        },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return sessions.caseView(req.params.id, actorOf(req), visibleTo(req));
    },
  );

  app.get<{ Params: { id: string; kind: CaseImage } }>(
    '/api/verification-sessions/:id/images/:kind',
    {
      preHandler: ctx.guards.user(...REVIEWERS),
      schema: {
        tags: ['sessions'],
        summary:
          "One of the session's images, decrypted: card front/back, selfie, the chip's DG2 portrait (as JPEG), the liveness key frame",
        description:
          'Each view is audited (`session.image_viewed`). Answered with `Cache-Control: no-store`.',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'kind'],
          properties: {
            ...sessionParams.properties,
            kind: { type: 'string', enum: Object.keys(CASE_IMAGES) },
          },
        },
        response: errorResponses('ERR_SESSION_NOT_FOUND', 'ERR_SESSION_IMAGE_NOT_FOUND', 'ERR_DATA_ERASED'),
      },
    },
    async (req, reply) =>
      sendCaseImage(reply, sessions.caseImage(req.params.id, req.params.kind, actorOf(req), visibleTo(req))),
  );

  app.get<{ Params: { id: string; n: number } }>(
    '/api/verification-sessions/:id/liveness-frames/:n',
    {
      preHandler: ctx.guards.user(...REVIEWERS),
      schema: {
        tags: ['sessions'],
        summary: 'The liveness frame at the n-th action seen (0-based), decrypted, as JPEG',
        description:
          'Each view is audited (`session.image_viewed`). Answered with `Cache-Control: no-store`.',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'n'],
          properties: { ...sessionParams.properties, n: { type: 'integer', minimum: 0, maximum: 9 } },
        },
        response: errorResponses('ERR_SESSION_NOT_FOUND', 'ERR_SESSION_IMAGE_NOT_FOUND', 'ERR_DATA_ERASED'),
      },
    },
    async (req, reply) =>
      sendCaseImage(
        reply,
        sessions.caseActionFrame(req.params.id, req.params.n, actorOf(req), visibleTo(req)),
      ),
  );

  await decisionRoutes(app, ctx);
  await webhookRoutes(app, ctx, webhooks);
}

/** A decrypted case image: never cached, never sniffed as anything but its type, shown inline. */
async function sendCaseImage(reply: FastifyReply, image: Promise<{ type: string; content: Buffer }>) {
  reply.header('cache-control', 'no-store');
  const img = await image;
  return reply
    .header('content-type', img.type)
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', 'inline')
    .send(img.content);
}
