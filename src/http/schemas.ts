import { errorDefinition } from './errors.ts';

/** JSON schemas shared by routes, so OpenAPI shows one shape for each. */
export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'Stable error code, e.g. ERR_VALIDATION' },
    detail: { type: 'string' },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['type', 'title', 'status', 'code', 'request_id'],
  // Extension members (RFC 9457 §3.2), e.g. `session_status`, `max_attempts`, must reach the client.
  additionalProperties: true,
} as const;

/**
 * The problem responses of a route, from the error codes it can answer (looked up in the catalogue,
 * so an unknown code fails at start): one entry per status whose `code` is an enum of those codes,
 * with an example of each. Codes every route of a kind answers (validation, authentication, rate
 * limit, idempotency…) are added to the document by `documentErrors` in `openapi.ts`; list only the
 * route's own.
 */
export function errorResponses(...codes: Array<`ERR_${string}`>) {
  const byStatus = new Map<number, string[]>();
  for (const code of new Set(codes)) {
    const { status } = errorDefinition(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => {
      const sorted = list.sort();
      return [
        status,
        {
          description: sorted.map((c) => `\`${c}\`: ${errorDefinition(c).title}`).join('; '),
          content: {
            'application/problem+json': {
              schema: {
                ...problemSchema,
                properties: { ...problemSchema.properties, code: { type: 'string', enum: sorted } },
              },
              examples: Object.fromEntries(
                sorted.map((code) => {
                  const { title } = errorDefinition(code);
                  return [
                    code,
                    {
                      summary: title,
                      value: { type: `/docs/errors#${code}`, title, status, code, request_id: 'req-1a2b3c' },
                    },
                  ];
                }),
              ),
            },
          },
        },
      ];
    }),
  );
}

export const idParam = (name: string, prefix: string) =>
  ({
    type: 'object',
    properties: { [name]: { type: 'string', pattern: `^${prefix}_[0-9a-z]{1,40}$` } },
    required: [name],
    additionalProperties: false,
  }) as const;

/**
 * A list answer `{ items: [item…] }`, with `next_cursor` when the list pages by cursor. Its example
 * is built from the item's own first example.
 */
export function listOf<const T extends { type: string }>(item: T, opts: { cursor?: boolean } = {}) {
  const example = (item as { examples?: readonly unknown[] }).examples?.[0];
  return {
    type: 'object',
    properties: {
      items: { type: 'array', items: item },
      ...(opts.cursor
        ? { next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page' } }
        : {}),
    },
    ...(example === undefined
      ? {}
      : { examples: [{ items: [example], ...(opts.cursor ? { next_cursor: null } : {}) }] }),
  } as const;
}
