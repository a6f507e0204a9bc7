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
} as const;

/** Standard error responses for a route; pass the statuses it can return. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    [400, ...statuses].map((s) => [
      s,
      { description: 'Problem', content: { 'application/problem+json': { schema: problemSchema } } },
    ]),
  );
}

export const idParam = (name: string, prefix: string) =>
  ({
    type: 'object',
    properties: { [name]: { type: 'string', pattern: `^${prefix}_[0-9a-z]{1,40}$` } },
    required: [name],
    additionalProperties: false,
  }) as const;
