import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CryptoError } from '../lib/crypto/envelope.ts';
import { defineErrors } from './errors.ts';

/**
 * Guards every request's outside input before any route sees it: JSON bodies are parsed with
 * prototype-poisoning protection, a nesting limit (deep bodies crash recursive code such as
 * `JSON.stringify`, hashing or audit canonicalisation with a stack overflow) and no NUL characters
 * (PostgreSQL text cannot hold them); only UTF-8 JSON is accepted; query strings and path parameters
 * may not carry NUL either.
 */
export const inputError = defineErrors({
  ERR_JSON_TOO_DEEP: { status: 400, title: 'The JSON body is nested too deeply' },
  ERR_NUL_CHARACTER: { status: 400, title: 'Text may not contain NUL characters' },
  ERR_UNSUPPORTED_CHARSET: { status: 415, title: 'Only UTF-8 request bodies are accepted' },
  ERR_MALFORMED_MULTIPART: { status: 400, title: 'The multipart body is malformed or truncated' },
  ERR_INVALID_VALUE: { status: 400, title: 'A value is out of range or not valid text' },
  ERR_DATA_ERASED: { status: 410, title: 'The data was erased (retention or crypto-shredding)' },
});

/** Deeper than any body the API documents (the deepest are decision rules, about 5 levels). */
export const MAX_JSON_DEPTH = 32;

/**
 * Nesting depth of raw JSON text, counted without parsing (so a hostile body never becomes a deep
 * object). Stops counting as soon as `limit` is passed.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** True when any string (value or key) in `value` contains U+0000. Iterative: no recursion. */
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

const UTF8 = new Set(['utf-8', 'utf8', 'us-ascii']);

function charsetOf(req: FastifyRequest): string | undefined {
  const type = req.headers['content-type'];
  if (typeof type !== 'string') return undefined;
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(type);
  return m?.[1]?.toLowerCase();
}

export function registerInputGuards(app: FastifyInstance): void {
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const charset = charsetOf(req);
    if (charset !== undefined && !UTF8.has(charset)) {
      done(inputError('ERR_UNSUPPORTED_CHARSET'), undefined);
      return;
    }
    const text = body as string;
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(inputError('ERR_JSON_TOO_DEEP', `At most ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    defaultJson(req, text, (err, parsed) => {
      if (err) return done(err, undefined);
      if (containsNul(parsed)) return done(inputError('ERR_NUL_CHARACTER'), undefined);
      done(null, parsed);
    });
  });

  app.addHook('preValidation', async (req) => {
    if (containsNul(req.params) || containsNul(req.query)) throw inputError('ERR_NUL_CHARACTER');
  });
}

// Errors @fastify/busboy throws for broken multipart bodies; they carry no code or status.
const MULTIPART_ERRORS =
  /^(Multipart: Boundary not found|Unexpected end of (multipart data|form)|Malformed part header|Part terminated early)/;

/** Recognises a client's broken multipart body or a database refusing a value, which are 400s. */
export function inputErrorOf(error: Error): ReturnType<typeof inputError> | undefined {
  // Data whose customer key was destroyed (crypto-shredding) is gone for good, not a server fault.
  if (error instanceof CryptoError && error.reason === 'shredded') return inputError('ERR_DATA_ERASED');
  if (MULTIPART_ERRORS.test(error.message) || error.stack?.includes('/@fastify/busboy/')) {
    return inputError('ERR_MALFORMED_MULTIPART');
  }
  // PostgreSQL class 22 "data exception" (NUL in text, numeric or date out of range, bad encoding):
  // the value came from outside. The message is not echoed: it may quote the value.
  const sqlState = (error as { code?: unknown }).code;
  if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState) && 'severity' in error) {
    return inputError('ERR_INVALID_VALUE');
  }
  return undefined;
}
