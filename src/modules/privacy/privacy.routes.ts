import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, currentScope } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses, idParam, listOf } from '../../http/schemas.ts';
import { envelopeFor } from '../../lib/crypto/keys.ts';
import { blobStoreFor } from '../../lib/storage/blob-store.ts';
import { findCustomerInScope } from '../customers/customers.repo.ts';
import { createPrivacyService, type PrivacyService, type SubjectQuery } from './privacy.service.ts';

const SETTERS = ['admin', 'operator', 'customer_admin'] as const;

const settingsSchema = {
  type: 'object',
  properties: {
    image_retention_days: { type: 'integer', minimum: 0, maximum: 3650 },
    result_retention_days: { type: 'integer', minimum: 0, maximum: 3650 },
  },
  required: ['image_retention_days', 'result_retention_days'],
  additionalProperties: false,
} as const;

const subjectSchema = {
  type: 'object',
  description:
    'Which data subject: one session, the reference you gave, or the subject reference. At least one.',
  properties: {
    session_id: { type: 'string', pattern: '^ses_[0-9a-z]{1,40}$' },
    reference_id: { type: 'string', minLength: 1, maxLength: 200 },
    subject_ref: { type: 'string', minLength: 1, maxLength: 200 },
  },
  minProperties: 1,
  additionalProperties: false,
  examples: [{ reference_id: 'loan-2026-0001' }],
} as const;

interface SubjectBody {
  session_id?: string;
  reference_id?: string;
  subject_ref?: string;
}

const subjectOf = (b: SubjectBody): SubjectQuery => ({
  ...(b.session_id ? { sessionId: b.session_id } : {}),
  ...(b.reference_id ? { referenceId: b.reference_id } : {}),
  ...(b.subject_ref ? { subjectRef: b.subject_ref } : {}),
});

const services = new WeakMap<AppContext, PrivacyService>();

/** The privacy service of this app (retention job, consent helper for the sessions module). */
export async function privacyServiceFor(ctx: AppContext): Promise<PrivacyService> {
  let s = services.get(ctx);
  if (!s) {
    s = createPrivacyService({
      db: ctx.db,
      clock: ctx.clock,
      config: ctx.config,
      envelope: await envelopeFor(ctx),
      blobs: await blobStoreFor(ctx),
    });
    services.set(ctx, s);
  }
  return s;
}

const subjectExportSchema = {
  type: 'object',
  description:
    "Each session of the subject with its opened result and declared data, uploads' digests and consents",
  additionalProperties: true,
  properties: {
    exported_at: { type: 'string', format: 'date-time' },
    sessions: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
  examples: [
    {
      exported_at: '2026-11-24T05:00:00.000Z',
      sessions: [
        {
          id: 'ses_0a1b2c3d4e5f6g7h8j9k',
          reference_id: 'loan-2026-0001',
          status: 'approved',
          checks: ['document', 'face'],
          declared: {},
          result: { extracted: { id_number: '001099012345', full_name: 'NGUYỄN VĂN AN' }, scores: {} },
          created_at: '2026-11-24T03:00:00.000Z',
          completed_at: '2026-11-24T03:02:41.000Z',
          erased_at: null,
          face_template: true,
          uploads: [
            {
              slot: 'selfie',
              content_type: 'image/jpeg',
              sha256: '9f2c4e1a7b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8',
              created_at: '2026-11-24T03:01:30.000Z',
            },
          ],
          consents: [
            {
              purpose: 'ekyc_verification',
              text_version: 'mobifone-ekyc-2026-01',
              granted_at: '2026-11-24T03:00:20.000Z',
              ip: '203.0.113.7',
            },
          ],
        },
      ],
    },
  ],
} as const;

const consentRecordSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    purpose: { type: 'string' },
    text_version: { type: 'string' },
    text_sha256: { type: ['string', 'null'] },
    granted_at: { type: 'string', format: 'date-time' },
    ip: { type: ['string', 'null'] },
    withdrawn_at: { type: ['string', 'null'] },
  },
  examples: [
    {
      id: 'cns_0a1b2c3d4e5f6g7h8j9k',
      purpose: 'ekyc_verification',
      text_version: 'mobifone-ekyc-2026-01',
      text_sha256: null,
      granted_at: '2026-11-24T03:00:20.000Z',
      ip: '203.0.113.7',
      withdrawn_at: null,
    },
  ],
} as const;

export async function privacyRoutes(app: FastifyInstance, ctx: AppContext) {
  const privacy = await privacyServiceFor(ctx);

  async function assertCustomer(req: FastifyRequest, customerId: string) {
    if (!(await findCustomerInScope(ctx.db, currentScope(req), customerId))) {
      throw httpError('ERR_NOT_FOUND', 'Customer not found');
    }
  }
  const present = (s: { imageRetentionDays: number; resultRetentionDays: number }) => ({
    image_retention_days: s.imageRetentionDays,
    result_retention_days: s.resultRetentionDays,
  });

  app.get<{ Params: { customerId: string } }>(
    '/api/customers/:customerId/privacy',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['privacy'],
        summary: "A customer's retention periods (images, extracted data)",
        params: idParam('customerId', 'cus'),
        response: { 200: settingsSchema, ...errorResponses('ERR_NOT_FOUND') },
      },
    },
    async (req) => {
      await assertCustomer(req, req.params.customerId);
      return present(await privacy.settingsFor(req.params.customerId));
    },
  );

  app.put<{
    Params: { customerId: string };
    Body: { image_retention_days: number; result_retention_days: number };
  }>(
    '/api/customers/:customerId/privacy',
    {
      preHandler: ctx.guards.user(...SETTERS),
      schema: {
        tags: ['privacy'],
        summary: "Set a customer's retention periods; the daily job applies them",
        params: idParam('customerId', 'cus'),
        body: settingsSchema,
        response: { 200: settingsSchema, ...errorResponses('ERR_NOT_FOUND') },
      },
    },
    async (req) => {
      await assertCustomer(req, req.params.customerId);
      const s = await privacy.setSettings(
        req.params.customerId,
        {
          imageRetentionDays: req.body.image_retention_days,
          resultRetentionDays: req.body.result_retention_days,
        },
        actorOf(req),
      );
      return present(s);
    },
  );

  app.post<{ Body: SubjectBody }>(
    '/v1/data-subjects/export',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['privacy'],
        summary: 'Everything held about one data subject (right of access, Decree 13/2023 art. 14)',
        security: [{ bearerAuth: [] }],
        body: subjectSchema,
        response: { 200: subjectExportSchema, ...errorResponses('ERR_SUBJECT_NOT_FOUND') },
      },
    },
    async (req) => privacy.exportSubject(req.apiClient!.customerId, subjectOf(req.body), actorOf(req)),
  );

  app.post<{ Body: SubjectBody }>(
    '/v1/data-subjects/erase',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['privacy'],
        summary: 'Erase every session of one data subject (right to deletion, Decree 13/2023 art. 16)',
        security: [{ bearerAuth: [] }],
        body: subjectSchema,
        response: {
          200: {
            type: 'object',
            properties: {
              sessions: { type: 'integer' },
              uploads: { type: 'integer' },
              blobs: { type: 'integer' },
            },
            examples: [{ sessions: 2, uploads: 7, blobs: 7 }],
          },
          ...errorResponses('ERR_SUBJECT_NOT_FOUND'),
        },
      },
    },
    async (req) => privacy.eraseSubject(req.apiClient!.customerId, subjectOf(req.body), actorOf(req)),
  );

  app.get<{ Querystring: { session_id: string } }>(
    '/v1/consents',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['privacy'],
        summary: "The applicant's consent records for one session (text version, time, address)",
        security: [{ bearerAuth: [] }],
        querystring: {
          type: 'object',
          properties: { session_id: { type: 'string', pattern: '^ses_[0-9a-z]{1,40}$' } },
          required: ['session_id'],
          additionalProperties: false,
        },
        response: { 200: listOf(consentRecordSchema) },
      },
    },
    async (req) => ({ items: await privacy.consentsFor(req.apiClient!.customerId, req.query.session_id) }),
  );
}

/** The daily retention job (images, extracted data, crypto-shredding of terminated customers). */
export function privacyJobs(ctx: AppContext) {
  return [
    {
      name: 'privacy-retention',
      cron: '30 1 * * *',
      handle: async () => {
        const report = await (await privacyServiceFor(ctx)).runRetention();
        if (report.uploadsDeleted + report.resultsErased + report.customersShredded > 0) {
          console.info(JSON.stringify({ msg: 'privacy retention', ...report }));
        }
      },
    },
  ];
}
