import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, currentScope } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
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
        response: { 200: settingsSchema, ...errorResponses(401, 403, 404) },
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
        response: { 200: settingsSchema, ...errorResponses(401, 403, 404) },
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
        response: errorResponses(401, 404),
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
          },
          ...errorResponses(401, 404),
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
        response: errorResponses(401),
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
