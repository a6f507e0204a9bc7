import type { FastifyInstance } from 'fastify';
import { loadFaceModels } from '../../ekyc/face/models.ts';
import { ACTIONS, type Frame, LIVENESS_LIMITS, livenessError } from '../../ekyc/liveness/engine.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { readFileParts } from '../faces/faces.routes.ts';
import { createLivenessService } from './liveness.service.ts';

const checkSchema = {
  type: 'object',
  properties: {
    name: {
      type: 'string',
      description:
        'continuity (no cut between frames), same_face, actions_in_order, no_unrequested_actions (a clear head turn or look-up that was not asked for, such as a recording made for another challenge), parallax_3d and nose_parallax (a flat photo or screen moves like a plane)',
    },
    passed: { type: 'boolean' },
    detail: { type: 'string' },
    value: { type: 'number' },
  },
} as const;

/** `timestamps`: a JSON array or comma-separated list of capture times in ms, one per frame. */
export function parseTimestamps(raw: string | undefined, count: number): number[] {
  if (!raw) throw livenessError('ERR_LIVENESS_FRAMES_ORDER', 'the timestamps field is required');
  let values: unknown;
  try {
    values = raw.trim().startsWith('[') ? JSON.parse(raw) : raw.split(',').map((s) => Number(s.trim()));
  } catch {
    throw livenessError('ERR_LIVENESS_FRAMES_ORDER', 'timestamps are not a list of numbers');
  }
  if (!Array.isArray(values) || values.length !== count || !values.every((v) => Number.isFinite(v))) {
    throw livenessError('ERR_LIVENESS_FRAMES_ORDER', 'one numeric timestamp per frame is required');
  }
  return values as number[];
}

export async function livenessRoutes(app: FastifyInstance, ctx: AppContext) {
  const service = createLivenessService({ db: ctx.db, clock: ctx.clock, models: loadFaceModels });

  app.post(
    '/v1/liveness/challenges',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['public'],
        summary: 'Issue a liveness challenge: 2–3 random actions to perform within 60 s, single use',
        description: `Actions: ${ACTIONS.join(', ')}. The camera image is not mirrored: turn_left is the person's own left.`,
        security: [{ bearerAuth: [] }],
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              actions: { type: 'array', items: { type: 'string', enum: [...ACTIONS] } },
              nonce: { type: 'string' },
              expires_at: { type: 'string' },
            },
            examples: [
              {
                id: 'lvc_0a1b2c3d4e5f6g7h8j9k',
                actions: ['turn_right', 'look_up', 'blink'],
                nonce: 'Zr8pQ2xW4kLm7nB1',
                expires_at: '2026-11-24T03:01:00.000Z',
              },
            ],
          },
          ...errorResponses(),
        },
      },
    },
    async (req, reply) => {
      const c = await service.issue(req.apiClient!.customerId, req.apiClient!.keyId);
      return reply.code(201).send(c);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/liveness/challenges/:id/verify',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['public'],
        summary: 'Verify the frames captured for a challenge',
        description:
          'multipart/form-data: `frames` (JPEG, one part per frame, in capture order, ≥ 5 per second) and `timestamps` (JSON array or comma-separated ms, one per frame).',
        security: [{ bearerAuth: [] }],
        multipart: {
          frames: {
            file: true,
            many: true,
            required: true,
            description: 'JPEG frames in capture order, ≥ 5 per second',
          },
          timestamps: {
            required: true,
            description: 'Capture times in ms, one per frame: JSON array or comma-separated',
          },
        },
        params: idParam('id', 'lvc'),
        response: {
          200: {
            type: 'object',
            properties: {
              challenge_id: { type: 'string' },
              live: { type: 'boolean' },
              score: { type: 'number' },
              checks: { type: 'array', items: checkSchema },
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
              signals: {
                type: 'object',
                properties: {
                  frames: { type: 'integer' },
                  fps: { type: 'number' },
                  parallax_residual: { type: ['number', 'null'] },
                  nose_parallax: { type: ['number', 'null'] },
                  max_identity_distance: { type: 'number' },
                  screen_moire: {
                    type: ['number', 'null'],
                    description:
                      'Passive signal, never deciding alone: log10 of the strongest periodic peak in the spectrum of the face (a filmed screen grid); warned above 1.0',
                  },
                  frozen_frame_pairs: {
                    type: 'integer',
                    description:
                      'Passive signal: consecutive frames that are the same picture (no fresh sensor noise)',
                  },
                  passive_warnings: {
                    type: 'array',
                    items: { type: 'string', enum: ['screen_moire', 'frozen_frames'] },
                  },
                },
              },
            },
            examples: [
              {
                challenge_id: 'lvc_0a1b2c3d4e5f6g7h8j9k',
                live: true,
                score: 1,
                checks: [
                  { name: 'continuity', passed: true, value: 0.12 },
                  { name: 'same_face', passed: true, value: 0.21 },
                  {
                    name: 'actions_in_order',
                    passed: true,
                    detail: 'turn_right:ok,look_up:ok,blink:ok',
                  },
                  {
                    name: 'no_unrequested_actions',
                    passed: true,
                    value: 0,
                    detail: 'only requested head movements',
                  },
                  { name: 'parallax_3d', passed: true, value: 0.019, detail: '3d' },
                  { name: 'nose_parallax', passed: true, value: 0.37, detail: '3d' },
                ],
                actions: [
                  { action: 'turn_right', done: true, at_ms: 1125 },
                  { action: 'look_up', done: true, at_ms: 2500 },
                  { action: 'blink', done: true, at_ms: 3750 },
                ],
                signals: {
                  frames: 40,
                  fps: 8,
                  parallax_residual: 0.019,
                  nose_parallax: 0.37,
                  max_identity_distance: 0.21,
                  screen_moire: 0.74,
                  frozen_frame_pairs: 0,
                  passive_warnings: [],
                },
              },
            ],
          },
          ...errorResponses(
            'ERR_LIVENESS_CHALLENGE_NOT_FOUND',
            'ERR_LIVENESS_CHALLENGE_USED',
            'ERR_LIVENESS_REPLAY',
            'ERR_LIVENESS_CHALLENGE_EXPIRED',
            'ERR_LIVENESS_FRAMES_COUNT',
            'ERR_LIVENESS_FRAMES_ORDER',
            'ERR_LIVENESS_FRAME_RATE',
            'ERR_LIVENESS_NO_FACE',
            'ERR_LIVENESS_FACE_CHANGED',
          ),
        },
      },
    },
    async (req) => {
      const { files, fields } = await readFileParts(req, ['frames'], {
        files: LIVENESS_LIMITS.maxFrames + 1,
        fields: 5,
      });
      const images = files.get('frames') ?? [];
      if (images.length < LIVENESS_LIMITS.minFrames || images.length > LIVENESS_LIMITS.maxFrames) {
        throw livenessError('ERR_LIVENESS_FRAMES_COUNT');
      }
      const ts = parseTimestamps(fields.get('timestamps'), images.length);
      const frames: Frame[] = images.map((image, i) => ({ image, t: ts[i]! }));
      return service.verify(req.apiClient!.customerId, req.params.id, frames);
    },
  );
}
