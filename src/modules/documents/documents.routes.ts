import type { FastifyInstance } from 'fastify';
import { loadZxing } from '../../ekyc/document/barcode.ts';
import { documentError } from '../../ekyc/document/errors.ts';
import { getOcr } from '../../ekyc/document/ocr.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses } from '../../http/schemas.ts';
import { createDocumentService } from './documents.service.ts';

const fieldSchema = {
  type: 'object',
  properties: {
    value: { type: ['string', 'null'] },
    confidence: { type: 'number' },
    sources: { type: 'array', items: { type: 'string', enum: ['qr', 'mrz', 'ocr'] } },
    reason: { type: 'string' },
  },
} as const;

const resultSchema = {
  type: 'object',
  properties: {
    document: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['cccd_chip', 'cccd', 'cmnd', 'can_cuoc', 'passport'] },
        sides: { type: 'array', items: { type: 'string', enum: ['front', 'back'] } },
      },
    },
    fields: { type: 'object', additionalProperties: fieldSchema },
    checks: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          status: { type: 'string', enum: ['pass', 'fail', 'warn', 'not_applicable'] },
          detail: { type: 'string' },
          score: { type: 'number' },
        },
      },
    },
    portrait: {
      type: ['object', 'null'],
      properties: { box: { type: 'array', items: { type: 'integer' }, minItems: 4, maxItems: 4 } },
    },
    quality: {
      type: 'object',
      properties: {
        blur: { type: 'number' },
        glare: { type: 'number' },
        card_coverage: { type: 'number' },
        corners_found: { type: 'boolean' },
        greyscale: { type: 'number' },
        moire: { type: 'number' },
      },
    },
    timings_ms: { type: 'object', additionalProperties: { type: 'number' } },
  },
} as const;

/** `POST /v1/documents/read`: front (required) and back (optional) photos of one ID document. */
export async function documentRoutes(app: FastifyInstance, ctx: AppContext) {
  const service = createDocumentService({ clock: ctx.clock });
  let modelsReady = false;
  ctx.readiness.set('document_models', async () => {
    if (!modelsReady) {
      await Promise.all([getOcr(), loadZxing()]);
      modelsReady = true;
    }
    return { ok: true };
  });
  app.addHook('onClose', async () => {
    if (modelsReady) await (await getOcr()).terminate();
  });

  app.post(
    '/v1/documents/read',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['public'],
        summary: 'Read a Vietnamese ID document (CCCD, Căn cước, CMND, passport) from photos',
        description:
          'multipart/form-data with `front` (required) and `back` (optional): JPEG, PNG or WebP up to 10 MB each.',
        security: [{ bearerAuth: [] }],
        consumes: ['multipart/form-data'],
        response: { 200: resultSchema, ...errorResponses(401, 413, 415, 422) },
      },
    },
    async (req) => {
      if (!req.isMultipart()) throw documentError('ERR_DOCUMENT_BAD_UPLOAD');
      const files: { front?: Buffer; back?: Buffer } = {};
      try {
        for await (const part of req.parts()) {
          if (part.type !== 'file') continue;
          const buf = await part.toBuffer();
          if (part.fieldname === 'front' || part.fieldname === 'back') files[part.fieldname] = buf;
        }
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE') throw documentError('ERR_DOCUMENT_UPLOAD_TOO_LARGE');
        if (typeof code === 'string' && code.startsWith('FST_'))
          throw documentError('ERR_DOCUMENT_BAD_UPLOAD');
        throw err;
      }
      modelsReady = true;
      return service.read(files);
    },
  );
}
