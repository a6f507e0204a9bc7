import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  analyzeBoth,
  type CompareResult,
  compareAnalyzed,
  DEFAULT_THRESHOLD,
  FAR_AT_THRESHOLD,
} from '../../ekyc/face/engine.ts';
import { loadFaceModels, setFaceWorkers } from '../../ekyc/face/models.ts';
import type { AppContext } from '../../http/context.ts';
import { AppError, defineErrors } from '../../http/errors.ts';
import { errorResponses } from '../../http/schemas.ts';

export const facesHttpError = defineErrors({
  ERR_FACE_IMAGE_MISSING: { status: 400, title: 'A required image part is missing' },
  ERR_FACE_MULTIPART_REQUIRED: { status: 415, title: 'Send the images as multipart/form-data' },
});

/** Reads the named file parts of a multipart request into buffers (other parts are refused). */
export async function readFileParts(
  req: FastifyRequest,
  allowed: readonly string[],
  limits: { files?: number; fields?: number } = {},
): Promise<{ files: Map<string, Buffer[]>; fields: Map<string, string> }> {
  if (!req.isMultipart()) throw facesHttpError('ERR_FACE_MULTIPART_REQUIRED');
  const files = new Map<string, Buffer[]>();
  const fields = new Map<string, string>();
  const maxFiles = limits.files ?? 4;
  const maxFields = limits.fields ?? 10;
  // The app-wide parts limit (24) would otherwise cap a liveness upload at 23 frames (413).
  for await (const part of req.parts({
    limits: { files: maxFiles, fields: maxFields, parts: maxFiles + maxFields },
  })) {
    if (part.type === 'file') {
      const buf = await part.toBuffer();
      if (!allowed.includes(part.fieldname)) continue;
      const list = files.get(part.fieldname) ?? [];
      list.push(buf);
      files.set(part.fieldname, list);
    } else {
      fields.set(part.fieldname, String(part.value ?? ''));
    }
  }
  return { files, fields };
}

const qualitySchema = {
  type: 'object',
  properties: {
    face_px: { type: 'number' },
    sharpness: { type: 'number' },
    brightness: { type: 'number' },
    yaw_deg: { type: 'number' },
    pitch_deg: { type: 'number' },
    roll_deg: { type: 'number' },
    eye_openness: { type: 'number' },
    detector_score: { type: 'number' },
    mesh_score: { type: 'number' },
    faces_found: { type: 'integer' },
    issues: { type: 'array', items: { type: 'string' } },
  },
} as const;

const faceSchema = {
  type: 'object',
  properties: {
    box: { type: 'array', items: { type: 'integer' }, minItems: 4, maxItems: 4 },
    used: {
      type: 'object',
      properties: {
        index: { type: 'integer' },
        reason: { type: 'string', enum: ['only_face', 'largest_face', 'card_portrait'] },
      },
    },
    quality: qualitySchema,
  },
} as const;

export const compareResponseSchema = {
  type: 'object',
  properties: {
    similarity: { type: 'number', minimum: 0, maximum: 1 },
    match: { type: 'boolean' },
    threshold: { type: 'number' },
    far_at_threshold: { type: 'number' },
    distance: { type: 'number', description: 'Euclidean distance between the two 128-d descriptors' },
    faces: { type: 'object', properties: { a: faceSchema, b: faceSchema } },
  },
  examples: [
    {
      similarity: 0.78,
      match: true,
      threshold: 0.5,
      far_at_threshold: 0.001,
      distance: 0.264,
      faces: {
        a: {
          box: [212, 148, 356, 402],
          used: { index: 0, reason: 'only_face' },
          quality: {
            face_px: 356,
            sharpness: 0.61,
            brightness: 0.52,
            yaw_deg: -3.1,
            pitch_deg: 4.2,
            roll_deg: 1.2,
            eye_openness: 0.91,
            detector_score: 0.97,
            mesh_score: 0.95,
            faces_found: 1,
            issues: [],
          },
        },
        b: {
          box: [48, 96, 112, 148],
          used: { index: 0, reason: 'card_portrait' },
          quality: {
            face_px: 112,
            sharpness: 0.44,
            brightness: 0.58,
            yaw_deg: 1.4,
            pitch_deg: -2.0,
            roll_deg: 0.6,
            eye_openness: 0.86,
            detector_score: 0.93,
            mesh_score: 0.9,
            faces_found: 1,
            issues: [],
          },
        },
      },
    },
  ],
} as const;

export async function faceRoutes(app: FastifyInstance, ctx: AppContext) {
  // Models load on first use (tests of other modules never pay for them); production preloads.
  setFaceWorkers(ctx.config.faceWorkers);
  let loaded = false;
  const models = () =>
    loadFaceModels().then((m) => {
      loaded = true;
      return m;
    });
  if (ctx.config.env === 'production') void models().catch(() => {});
  ctx.readiness.set('face_models', async () => {
    if (ctx.config.env !== 'production')
      return { ok: true, detail: loaded ? 'loaded' : 'loads on first use' };
    try {
      await models();
      return { ok: true };
    } catch {
      return { ok: false, detail: 'face models failed to load' };
    }
  });

  app.post(
    '/v1/faces/compare',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['public'],
        summary: 'Compare the faces on two images (a selfie, an ID card or a chip photo)',
        description: `multipart/form-data with \`image_a\` and \`image_b\` (JPEG, PNG or WebP, ≤ 10 MB each). An image of a whole ID card uses the card's portrait (its largest face). \`match\` is \`similarity ≥ threshold\`; the default threshold ${DEFAULT_THRESHOLD} stands for a false-accept rate of ${FAR_AT_THRESHOLD}.`,
        security: [{ bearerAuth: [] }],
        multipart: {
          image_a: {
            file: true,
            required: true,
            description: 'A selfie, an ID card or a chip photo: JPEG, PNG or WebP ≤ 10 MB',
          },
          image_b: { file: true, required: true, description: 'The other image, same formats' },
        },
        response: {
          200: compareResponseSchema,
          ...errorResponses(
            'ERR_FACE_MULTIPART_REQUIRED',
            'ERR_FACE_IMAGE_MISSING',
            'ERR_IMAGE_EMPTY',
            'ERR_IMAGE_UNSUPPORTED',
            'ERR_IMAGE_CORRUPT',
            'ERR_IMAGE_TOO_LARGE',
            'ERR_IMAGE_TOO_SMALL',
            'ERR_IMAGE_ANIMATED',
            'ERR_FACE_NOT_FOUND',
            'ERR_FACE_TOO_SMALL',
            'ERR_FACE_ENGINE',
            'ERR_UNAVAILABLE',
          ),
        },
      },
    },
    async (req): Promise<CompareResult> => {
      const { files } = await readFileParts(req, ['image_a', 'image_b']);
      const a = files.get('image_a')?.[0];
      const b = files.get('image_b')?.[0];
      if (!a) throw facesHttpError('ERR_FACE_IMAGE_MISSING', 'image_a is required');
      if (!b) throw facesHttpError('ERR_FACE_IMAGE_MISSING', 'image_b is required');
      const m = await models();
      const [fa, fb] = await analyzeBoth(a, b, m, { a: tagSide('image_a'), b: tagSide('image_b') });
      return compareAnalyzed(fa, fb);
    },
  );
}

/** Says which image an error is about (in `detail`), without any of its content. */
export function tagSide(side: string) {
  return (e: unknown): never => {
    if (e instanceof AppError) {
      throw new AppError(e.code, e.status, e.title, `${side}: ${e.detail ?? e.title}`, e.extra, e.headers);
    }
    throw e;
  };
}
