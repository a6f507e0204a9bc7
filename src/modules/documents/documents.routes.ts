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
    box: {
      type: 'array',
      items: { type: 'integer' },
      minItems: 4,
      maxItems: 4,
      description:
        'Where the field is printed: [x, y, w, h] in pixels of the uploaded `side` image as displayed (EXIF orientation applied)',
    },
    side: { type: 'string', enum: ['front', 'back'] },
  },
} as const;

const pointSchema = { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } as const;
const cornersSchema = {
  type: 'array',
  items: pointSchema,
  minItems: 4,
  maxItems: 4,
  description:
    "The card's corners [x, y] in the uploaded image's pixels, the card's top-left first, clockwise",
} as const;

const resultSchema = {
  type: 'object',
  properties: {
    document: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['cccd_chip', 'cccd', 'cmnd', 'can_cuoc', 'passport'] },
        sides: { type: 'array', items: { type: 'string', enum: ['front', 'back'] } },
        corners: { type: 'object', properties: { front: cornersSchema, back: cornersSchema } },
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
  examples: [
    {
      document: {
        type: 'cccd_chip',
        sides: ['front', 'back'],
        corners: {
          front: [
            [212.4, 190.1],
            [1187.9, 221.6],
            [1170.3, 842.7],
            [190.8, 808.2],
          ],
          back: [
            [241, 176.5],
            [1160.2, 160.9],
            [1181.7, 774.4],
            [226.3, 792],
          ],
        },
      },
      fields: {
        id_number: {
          value: '001099012345',
          confidence: 0.99,
          sources: ['qr', 'ocr'],
          box: [622, 382, 438, 55],
          side: 'front',
        },
        full_name: {
          value: 'NGUYỄN VĂN AN',
          confidence: 0.98,
          sources: ['qr', 'ocr'],
          box: [497, 462, 683, 54],
          side: 'front',
        },
        date_of_birth: {
          value: '1999-05-14',
          confidence: 0.99,
          sources: ['qr', 'ocr'],
          box: [773, 512, 249, 50],
          side: 'front',
        },
        sex: { value: 'M', confidence: 0.97, sources: ['qr'], box: [662, 554, 111, 48], side: 'front' },
        date_of_expiry: {
          value: '2039-05-14',
          confidence: 0.95,
          sources: ['ocr'],
          box: [224, 710, 237, 48],
          side: 'front',
        },
      },
      checks: [
        { code: 'ID_NUMBER_STRUCTURE', status: 'pass' },
        { code: 'ID_NUMBER_MATCHES_BIRTH', status: 'pass' },
        { code: 'QR_MATCHES_OCR', status: 'pass' },
        { code: 'CARD_EXPIRED', status: 'pass' },
        { code: 'SIDES_SAME_CARD', status: 'pass' },
        { code: 'IMAGE_QUALITY', status: 'pass', score: 0.91 },
      ],
      portrait: { box: [62, 148, 236, 382] },
      quality: {
        blur: 0.08,
        glare: 0.01,
        card_coverage: 0.72,
        corners_found: true,
        greyscale: 0,
        moire: 0.02,
      },
      timings_ms: { front: 512, back: 388 },
    },
  ],
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
        multipart: {
          front: {
            file: true,
            required: true,
            description: 'Front side (or passport data page): JPEG, PNG or WebP ≤ 10 MB',
          },
          back: { file: true, description: 'Back side: JPEG, PNG or WebP ≤ 10 MB' },
        },
        response: {
          200: resultSchema,
          ...errorResponses(
            'ERR_DOCUMENT_BAD_UPLOAD',
            'ERR_DOCUMENT_UPLOAD_TOO_LARGE',
            'ERR_DOCUMENT_FRONT_REQUIRED',
            'ERR_DOCUMENT_NOT_FOUND',
            'ERR_DOCUMENT_UNREADABLE',
            'ERR_IMAGE_EMPTY',
            'ERR_IMAGE_UNSUPPORTED',
            'ERR_IMAGE_CORRUPT',
            'ERR_IMAGE_TOO_LARGE',
            'ERR_IMAGE_TOO_SMALL',
            'ERR_IMAGE_ANIMATED',
          ),
        },
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
