/** The portal's only way to talk to the server: JSON in and out, problem+json errors as ApiError. */

export interface FieldError {
  path: string;
  message: string;
}

/** An API error: `title`/`detail` are what the server said; `code` is stable for the UI to switch on. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;
  constructor(
    status: number,
    code: string,
    title: string,
    detail?: string,
    errors: FieldError[] = [],
    requestId?: string,
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.requestId = requestId;
  }
}

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

let unauthenticatedHandler: (() => void) | undefined;
/** Called when a request answers 401 (session expired): the shell goes back to the login page. */
export function onUnauthenticated(fn: () => void) {
  unauthenticatedHandler = fn;
}

type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(url: string, query?: Query): string {
  if (!query) return url;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${url}?${s}` : url;
}

async function toError(res: Response): Promise<ApiError> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await res.json()) as Record<string, unknown>;
      return new ApiError(
        res.status,
        typeof body.code === 'string' ? body.code : `HTTP_${res.status}`,
        typeof body.title === 'string' ? body.title : res.statusText || `HTTP ${res.status}`,
        typeof body.detail === 'string' ? body.detail : undefined,
        Array.isArray(body.errors) ? (body.errors as FieldError[]) : [],
        typeof body.request_id === 'string' ? body.request_id : undefined,
      );
    } catch {
      // fall through: not the JSON it claimed to be
    }
  }
  return new ApiError(res.status, `HTTP_${res.status}`, res.statusText || `HTTP ${res.status}`);
}

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  /** Sent as-is (multipart uploads): no JSON encoding. */
  form?: FormData;
  headers?: Record<string, string>;
  /** Do not redirect to the login page on 401 (the login form and the capture flow). */
  allow401?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? (opts.body !== undefined || opts.form ? 'POST' : 'GET');
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = readCookie('ekyc_csrf');
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(withQuery(url, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'ERR_NETWORK', 'Network error', (e as Error).message);
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401 && !opts.allow401) unauthenticatedHandler?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) return (await res.json()) as T;
  return (await res.blob()) as T;
}

/**
 * A file from the API with the session cookie, its bytes counted as they arrive (`total` when the server
 * sends a length). An error answer throws its problem as an ApiError, so it is shown, never saved as a file.
 */
export async function fetchFile(
  url: string,
  query: Query,
  onProgress: (received: number, total: number | null) => void,
  signal?: AbortSignal,
): Promise<{ blob: Blob; filename: string }> {
  let res: Response;
  try {
    res = await fetch(withQuery(url, query), { credentials: 'same-origin', signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'ERR_NETWORK', 'Network error', (e as Error).message);
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401) unauthenticatedHandler?.();
    throw err;
  }
  const length = Number(res.headers.get('content-length'));
  const total = length > 0 ? length : null;
  const chunks: Uint8Array[] = [];
  let received = 0;
  onProgress(0, total);
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      onProgress(received, total);
    }
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? url.split('/').pop() ?? 'download';
  const type = res.headers.get('content-type') ?? 'application/octet-stream';
  return { blob: new Blob(chunks as BlobPart[], { type }), filename };
}

export const api = {
  get: <T>(url: string, query?: Query, signal?: AbortSignal) => request<T>(url, { query, signal }),
  post: <T>(url: string, body?: unknown) => request<T>(url, { method: 'POST', body: body ?? {} }),
  put: <T>(url: string, body?: unknown) => request<T>(url, { method: 'PUT', body }),
  patch: <T>(url: string, body?: unknown) => request<T>(url, { method: 'PATCH', body }),
  del: <T>(url: string) => request<T>(url, { method: 'DELETE' }),
};

// ---- shapes of the back-office API (see /openapi.json) ----

export type Role =
  | 'admin'
  | 'operator'
  | 'unit_user'
  | 'am'
  | 'kam'
  | 'agent_user'
  | 'support_agent'
  | 'customer_admin';

export interface User {
  id: string;
  email: string;
  full_name: string;
  role: Role;
  unit_id: string | null;
  customer_id: string | null;
  /** Logged in with a handed-over temporary password: the API refuses everything until it is changed. */
  must_change_password: boolean;
}

export interface Customer {
  id: string;
  legal_name: string;
  tax_code: string;
  segment: string;
  managing_unit_id: string | null;
  am_user_id: string | null;
  contact_name: string | null;
  contact_email: string | null;
  contact_phone: string | null;
  created_at: string;
}

export interface ApiKey {
  id: string;
  customer_id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
  status: 'active' | 'expiring' | 'expired' | 'revoked';
}

export interface IssuedKey {
  key: string;
  api_key: ApiKey;
  previous?: ApiKey;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  customer_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}
