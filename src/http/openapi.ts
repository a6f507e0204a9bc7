import type { FastifySchema, RouteOptions } from 'fastify';
import { errorResponses } from './schemas.ts';

type ErrorCode = `ERR_${string}`;

/** One part of a multipart/form-data body: a file (binary) or a text field. */
export interface MultipartPart {
  description: string;
  file?: boolean;
  /** The part may repeat (e.g. one `frames` part per frame). */
  many?: boolean;
  required?: boolean;
}

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The parts of a multipart/form-data body, for the OpenAPI document only: the route reads its
     * parts itself (a body schema would make Fastify validate a body that multipart never sets).
     */
    multipart?: Record<string, MultipartPart>;
  }
}

function multipartBodySchema(parts: Record<string, MultipartPart>) {
  const one = (p: MultipartPart) =>
    p.file
      ? { type: 'string', format: 'binary', description: p.description }
      : { type: 'string', description: p.description };
  return {
    type: 'object',
    properties: Object.fromEntries(
      Object.entries(parts).map(([name, p]) => [
        name,
        p.many ? { type: 'array', items: one(p), description: p.description } : one(p),
      ]),
    ),
    required: Object.entries(parts)
      .filter(([, p]) => p.required)
      .map(([name]) => name),
  };
}

/** What a hook (guard, rate limit, idempotency) can answer: on every request, and on writes only. */
interface HookErrors {
  always: ErrorCode[];
  writes: ErrorCode[];
}
// biome-ignore lint/complexity/noBannedTypes: hooks of any signature are keys here
const hookErrors = new WeakMap<Function, HookErrors>();

/** Declares the error codes a hook answers, so every route using it documents them. */
// biome-ignore lint/complexity/noBannedTypes: hooks of any signature
export function answersWith<F extends Function>(hook: F, always: ErrorCode[], writes: ErrorCode[] = []): F {
  hookErrors.set(hook, { always, writes });
  return hook;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Any write can be refused by the body parsers before the route sees it (see `input.ts`, `problem.ts`). */
const BODY_ERRORS: ErrorCode[] = [
  'ERR_MALFORMED_JSON',
  'ERR_JSON_TOO_DEEP',
  'ERR_NUL_CHARACTER',
  'ERR_UNSUPPORTED_CHARSET',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  'ERR_PAYLOAD_TOO_LARGE',
];

interface ProblemResponse {
  content?: Record<string, { schema?: { properties?: { code?: { enum?: string[] } } } }>;
}

/** The codes a route lists itself, through `errorResponses` in its response schema. */
function declaredCodes(response: Record<string, unknown>): ErrorCode[] {
  return Object.entries(response)
    .filter(([status]) => Number(status) >= 400)
    .flatMap(
      ([, r]) =>
        ((r as ProblemResponse).content?.['application/problem+json']?.schema?.properties?.code?.enum ??
          []) as ErrorCode[],
    );
}

/**
 * `@fastify/swagger` transform: each operation documents every problem code it can answer — its own
 * (`errorResponses`) plus those its hooks and inputs imply — as problem responses per status and as
 * `x-error-codes`. Only the document changes; the route's runtime schema stays as declared.
 */
export function documentErrors({
  schema,
  url,
  route,
}: {
  schema?: FastifySchema;
  url: string;
  route: RouteOptions;
}): { schema: FastifySchema; url: string } {
  const s = schema ?? {};
  if (s.hide) return { schema: s, url };
  const writes = [route.method].flat().some((m) => !SAFE_METHODS.has(m));
  const response = (s.response ?? {}) as Record<string, unknown>;
  // Any route can fail on the server's side, or find the database gone (`db-unavailable.ts`).
  const codes = new Set<ErrorCode>(['ERR_INTERNAL', 'ERR_DATABASE_UNAVAILABLE', ...declaredCodes(response)]);
  const add = (list: ErrorCode[]) => {
    for (const c of list) codes.add(c);
  };
  for (const hook of [route.onRequest, route.preValidation, route.preHandler].flat()) {
    const declared = hook ? hookErrors.get(hook) : undefined;
    if (declared) add(writes ? [...declared.always, ...declared.writes] : declared.always);
  }
  // A billable answer waits for its usage event (`billable.ts`), which a saturated writer refuses.
  if ((route.config as { billable?: string } | undefined)?.billable) codes.add('ERR_USAGE_BUSY');
  if (s.params || s.querystring || s.body || s.headers) codes.add('ERR_VALIDATION');
  if (s.params || s.querystring) codes.add('ERR_NUL_CHARACTER');
  if (writes) add(BODY_ERRORS);
  if (s.multipart) codes.add('ERR_MALFORMED_MULTIPART');
  const list = [...codes].sort();
  const success = Object.fromEntries(Object.entries(response).filter(([status]) => Number(status) < 400));
  const { multipart, ...rest } = s;
  return {
    schema: {
      ...rest,
      ...(multipart ? { body: multipartBodySchema(multipart), consumes: ['multipart/form-data'] } : {}),
      response: { ...success, ...errorResponses(...list) },
      'x-error-codes': list,
    } as FastifySchema,
    url,
  };
}
