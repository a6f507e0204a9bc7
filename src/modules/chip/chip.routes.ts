import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses } from '../../http/schemas.ts';
import { CHIP_FILE_NAMES, createChipService, type VerifyRequest } from './chip.service.ts';

/** DG2/DG3 plus a selfie, in base64: a few MB. */
const VERIFY_BODY_LIMIT = 8 * 1024 * 1024;
/** A master list is ~1 MB of DER (~1.3 MB in base64); room for growth. */
const TRUST_BODY_LIMIT = 16 * 1024 * 1024;

const b64 = (description: string) => ({ type: 'string', minLength: 1, description }) as const;

const fileProps = Object.fromEntries(
  CHIP_FILE_NAMES.filter((n) => n !== 'sod').map((n) => [
    n,
    b64(`${n.toUpperCase()} as read from the chip, base64`),
  ]),
);

const documentSchema = {
  type: 'object',
  description:
    "Fields read from the card's face (OCR) or QR code in the same session, to cross-check with the chip",
  properties: {
    id_number: { type: 'string', maxLength: 32 },
    old_id_number: { type: 'string', maxLength: 32 },
    full_name: { type: 'string', maxLength: 200 },
    date_of_birth: { type: 'string', maxLength: 20 },
    sex: { type: 'string', maxLength: 10 },
    date_of_expiry: { type: 'string', maxLength: 20 },
    date_of_issue: { type: 'string', maxLength: 20 },
  },
  additionalProperties: false,
} as const;

const open = { type: 'object', additionalProperties: true } as const;

const cscaSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    fingerprint: { type: 'string' },
    subject: { type: 'string' },
    subject_key_id: { type: ['string', 'null'] },
    country: { type: ['string', 'null'] },
    not_before: { type: 'string' },
    not_after: { type: 'string' },
    source: { type: 'string' },
    created_at: { type: 'string' },
  },
} as const;

export async function chipRoutes(app: FastifyInstance, ctx: AppContext) {
  const service = createChipService({ db: ctx.db, clock: ctx.clock });

  app.post<{ Body: VerifyRequest }>(
    '/v1/chip/verify',
    {
      preHandler: ctx.guards.apiClient,
      bodyLimit: VERIFY_BODY_LIMIT,
      schema: {
        tags: ['public'],
        summary:
          'Passive authentication of a chip read (EF.SOD + data groups), DG1/DG13/DG2 contents and cross-checks',
        security: [{ bearerAuth: [] }],
        body: {
          type: 'object',
          properties: {
            sod: b64('EF.SOD, base64 (required)'),
            ...fileProps,
            selfie: b64('Optional selfie JPEG, base64, matched against the DG2 face'),
            document: documentSchema,
          },
          required: ['sod'],
          additionalProperties: false,
          examples: [
            {
              sod: 'd4IGxzCCBsMGCSqGSIb3DQEHAqCCBrQwggawAgEDMQ8wDQYJYIZIAWUDBAIBBQAw…',
              com: 'YBZfAQQwMTA3XFxhAmF1dXZr',
              dg1: 'YV1fH1pJRFZOTTAwMTA5OTAxMjM0NTwwMDEwOTkwMTIzNDU…',
              dg2: 'dYIxxX9hgjHAAgEBf2CCMbihDoECAQGCAQCHAgEBiAIAcV8u…',
              dg13: 'bYIBxDCCAcACAQEwEAIBARMMMDAxMDk5MDEyMzQ1…',
              document: {
                id_number: '001099012345',
                full_name: 'NGUYỄN VĂN AN',
                date_of_birth: '1999-05-14',
              },
            },
          ],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              passive_authentication: open,
              data: open,
              checks: { type: 'array', items: open },
              face_match: { anyOf: [open, { type: 'null' }] },
            },
            examples: [
              {
                passive_authentication: {
                  sod_signature: 'valid',
                  sod_signature_detail: 'ECDSA P-256 with SHA-256',
                  signer: {
                    subject: 'C=VN, O=Ministry of Public Security, CN=Document Signer CCCD 2024',
                    issuer: 'C=VN, O=Ministry of Public Security, CN=CSCA Vietnam',
                    valid_from: '2024-01-01T00:00:00.000Z',
                    valid_to: '2034-12-31T23:59:59.000Z',
                    country: 'VN',
                    serial_number: '1a2b3c4d',
                    public_key: 'EC P-256',
                  },
                  signer_identified_by: 'issuer_and_serial',
                  chain: 'trusted',
                  chain_detail: 'signed by a trusted CSCA',
                  crl_checked: false,
                  data_groups: [
                    { dg: 1, hash: 'match' },
                    { dg: 2, hash: 'match' },
                    { dg: 13, hash: 'match' },
                  ],
                  hash_algorithm: 'SHA-256',
                  signature_algorithm: 'ecdsa-with-SHA256',
                  lds_security_object_version: 0,
                  lds_version: null,
                  passed: true,
                },
                data: {
                  mrz: { document_number: '001099012345', date_of_birth: '1999-05-14', sex: 'M' },
                  dg13: {
                    id_number: '001099012345',
                    full_name: 'NGUYỄN VĂN AN',
                    date_of_birth: '14/05/1999',
                  },
                  face_image: 'data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD…',
                },
                checks: [
                  {
                    code: 'DOCUMENT_MATCHES_CHIP',
                    status: 'pass',
                    fields: { id_number: 'pass', full_name: 'pass' },
                  },
                ],
                face_match: null,
              },
            ],
          },
          ...errorResponses(
            'ERR_CHIP_NOT_BASE64',
            'ERR_CHIP_DG_NUMBER',
            'ERR_CHIP_ASN1',
            'ERR_CHIP_ASN1_TOO_DEEP',
            'ERR_CHIP_ASN1_TOO_LARGE',
            'ERR_CHIP_SOD_STRUCTURE',
            'ERR_CHIP_SOD_NO_SIGNER',
            'ERR_CHIP_UNSUPPORTED_ALGORITHM',
          ),
        },
      },
    },
    async (req) => service.verify(req.body),
  );

  app.post<{ Body: { data: string; type?: 'auto' | 'certificate' | 'master_list' | 'crl' } }>(
    '/api/trust/csca',
    {
      preHandler: ctx.guards.user('admin'),
      bodyLimit: TRUST_BODY_LIMIT,
      schema: {
        tags: ['trust'],
        summary:
          'Install CSCA certificates (DER/PEM), an ICAO master list (its signature is verified) or a CRL',
        body: {
          type: 'object',
          properties: {
            data: { type: 'string', minLength: 1, description: 'base64 DER/CMS, or PEM text' },
            type: { type: 'string', enum: ['auto', 'certificate', 'master_list', 'crl'], default: 'auto' },
          },
          required: ['data'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: {
              kind: { type: 'string' },
              installed: { type: 'integer' },
              already_present: { type: 'integer' },
              certificates: { type: 'array', items: open },
              master_list: { anyOf: [open, { type: 'null' }] },
            },
          },
          ...errorResponses(
            'ERR_CHIP_NOT_BASE64',
            'ERR_CHIP_CERTIFICATE',
            'ERR_CHIP_MASTER_LIST',
            'ERR_CHIP_CRL',
            'ERR_CHIP_ASN1',
          ),
        },
      },
    },
    async (req, reply) => {
      const out = await service.install(req.body.data, req.body.type ?? 'auto', actorOf(req));
      return reply.code(201).send(out);
    },
  );

  app.get<{ Querystring: { country?: string; limit: number; offset: number } }>(
    '/api/trust/csca',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['trust'],
        summary: 'Installed CSCA certificates',
        querystring: {
          type: 'object',
          properties: {
            country: { type: 'string', pattern: '^[A-Z]{2,3}$' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: cscaSchema }, total: { type: 'integer' } },
          },
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const { items, total } = await service.list(req.query);
      return {
        total,
        items: items.map((r) => ({
          ...r,
          not_before: r.not_before.toISOString(),
          not_after: r.not_after.toISOString(),
          created_at: r.created_at.toISOString(),
        })),
      };
    },
  );
}
