import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HTTPMethod } from 'find-my-way';
import FindMyWay from 'find-my-way';
import { databaseUnavailable, isDatabaseUnavailable } from './db-unavailable.ts';
import { AppError, httpError } from './errors.ts';
import { inputErrorOf, registerInputGuards } from './input.ts';

export const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

export function sendProblem(req: FastifyRequest, reply: FastifyReply, err: AppError): FastifyReply {
  if (err.headers) reply.headers(err.headers);
  return reply
    .code(err.status)
    .type(PROBLEM_JSON)
    .send({
      type: `/docs/errors#${err.code}`,
      title: err.title,
      status: err.status,
      code: err.code,
      ...(err.detail ? { detail: err.detail } : {}),
      ...err.extra,
      request_id: req.id,
    });
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Field paths like `body.contacts[0].email`, so a client can point at the wrong field. */
function validationErrors(context: string, errors: AjvError[]) {
  return errors.map((e) => {
    let p = (e.instancePath ?? '')
      .split('/')
      .filter(Boolean)
      .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
      .join('');
    if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string')
      p += `.${e.params.missingProperty}`;
    if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string') {
      p += `.${e.params.additionalProperty}`;
    }
    return { path: `${context}${p}`, message: e.message ?? 'is invalid' };
  });
}

/** Maps anything thrown to a stable code. A client's mistake never comes out as a 500. */
export function toAppError(error: FastifyError | AppError | Error): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation) {
    return httpError('ERR_VALIDATION', fe.message, {
      errors: validationErrors(fe.validationContext ?? 'body', fe.validation),
    });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return httpError(
        'ERR_MALFORMED_JSON',
        fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'Body is empty' : undefined,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return httpError('ERR_PAYLOAD_TOO_LARGE', fe.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return httpError('ERR_UNSUPPORTED_MEDIA_TYPE', fe.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return httpError('ERR_BAD_REQUEST', fe.message);
  }
  if (error instanceof SyntaxError && (fe.statusCode ?? 0) === 400) return httpError('ERR_MALFORMED_JSON');
  const input = inputErrorOf(error);
  if (input) return input;
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  const status = fe.statusCode ?? 500;
  if (status === 413) return httpError('ERR_PAYLOAD_TOO_LARGE');
  if (status === 415) return httpError('ERR_UNSUPPORTED_MEDIA_TYPE');
  if (status >= 400 && status < 500) return httpError('ERR_BAD_REQUEST', fe.message);
  return httpError('ERR_INTERNAL');
}

/**
 * For Fastify's `frameworkErrors` option: URLs the router refuses before any hook runs (bad percent
 * escapes, overlong path parameters) answer as problems too instead of Fastify's own JSON.
 */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const appError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? httpError('ERR_ROUTE_NOT_FOUND', 'A path segment is too long')
      : httpError('ERR_BAD_REQUEST', 'The URL is not valid');
  sendProblem(req, reply, appError);
}

export function registerProblemHandlers(app: FastifyInstance): void {
  registerInputGuards(app);
  // A second router with every route's pattern tells "wrong method" (405) apart from "no route" (404).
  const known = FindMyWay({ ignoreTrailingSlash: true });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (!known.hasRoute(method as HTTPMethod, route.url))
        known.on(method as HTTPMethod, route.url, () => {});
    }
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) req.log.error({ err: error }, 'request failed');
    else req.log.info({ code: appError.code }, 'client error');
    return sendProblem(req, reply, appError);
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const allowed = (['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter(
      (m) => m !== req.method && known.find(m, path) !== null,
    );
    if (allowed.length > 0) {
      return sendProblem(
        req,
        reply,
        httpError('ERR_METHOD_NOT_ALLOWED', undefined, undefined, { allow: allowed.join(', ') }),
      );
    }
    return sendProblem(req, reply, httpError('ERR_ROUTE_NOT_FOUND', `${req.method} ${path}`));
  });
}
