/**
 * The error catalogue. Each error is a stable code, an HTTP status and a title, defined once with
 * `defineErrors` (core codes here, each module its own) and thrown by code. Clients switch on `code`.
 */
export interface ErrorDefinition {
  status: number;
  title: string;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  /** Extra members of the problem body, e.g. `errors` for field paths. Never personal data. */
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(
    code: string,
    status: number,
    title: string,
    detail?: string,
    extra?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) {
    super(detail ?? title);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.extra = extra;
    this.headers = headers;
  }
}

const catalogue = new Map<string, ErrorDefinition>();

export function defineErrors<const T extends Record<`ERR_${string}`, ErrorDefinition>>(definitions: T) {
  for (const [code, def] of Object.entries(definitions) as [string, ErrorDefinition][]) {
    const existing = catalogue.get(code);
    if (existing && (existing.status !== def.status || existing.title !== def.title)) {
      throw new Error(`Error code ${code} is defined twice with different meanings`);
    }
    catalogue.set(code, def);
  }
  return (
    code: keyof T & string,
    detail?: string,
    extra?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): AppError => {
    const def = definitions[code] as ErrorDefinition;
    return new AppError(code, def.status, def.title, detail, extra, headers);
  };
}

/** The definition of a code; throws for a code no module defines (a typo in a route's error list). */
export function errorDefinition(code: string): ErrorDefinition {
  const def = catalogue.get(code);
  if (!def) throw new Error(`Error code ${code} is not in the catalogue`);
  return def;
}

/** All codes defined so far, for the docs. */
export function errorCatalogue(): Array<{ code: string } & ErrorDefinition> {
  return [...catalogue.entries()]
    .map(([code, def]) => ({ code, ...def }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

export const httpError = defineErrors({
  ERR_MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  ERR_VALIDATION: { status: 400, title: 'The request does not match the schema' },
  ERR_BAD_REQUEST: { status: 400, title: 'The request cannot be processed' },
  ERR_UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  ERR_INVALID_CREDENTIALS: { status: 401, title: 'Email or password is wrong' },
  ERR_INVALID_API_KEY: { status: 401, title: 'The API key is missing, unknown, revoked or expired' },
  ERR_FORBIDDEN: { status: 403, title: 'Your role does not allow this' },
  ERR_CSRF: { status: 403, title: 'Missing or wrong CSRF token' },
  ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  ERR_ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route' },
  ERR_CONFLICT: { status: 409, title: 'The request conflicts with the current state' },
  ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  ERR_TOO_MANY_ATTEMPTS: { status: 429, title: 'Too many attempts; try again later' },
  ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  ERR_INTERNAL: { status: 500, title: 'Internal error' },
  ERR_UNAVAILABLE: { status: 503, title: 'Service not ready' },
});
