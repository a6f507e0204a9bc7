import { defineErrors } from './errors.ts';

const unavailableError = defineErrors({
  ERR_DATABASE_UNAVAILABLE: { status: 503, title: 'The database is not reachable; retry shortly' },
});

/** Socket-level failures the pg driver surfaces when the server is down or restarting. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/** The pg driver's own messages for a connection lost or never made (they carry no code). */
const DRIVER_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable/;

/**
 * True when `error` means "PostgreSQL is unreachable" rather than "this request is wrong": SQLSTATE
 * class 08 (connection exception), 57P01–57P03 (shutting down, crashed, starting up), or a socket
 * failure. Such a request is answered 503 with a stable code; the pool reconnects by itself.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true;
  }
  return DRIVER_MESSAGES.test(error.message);
}

export function databaseUnavailable() {
  return unavailableError('ERR_DATABASE_UNAVAILABLE', undefined, undefined, { 'retry-after': '2' });
}
