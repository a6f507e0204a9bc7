import { createHmac } from 'node:crypto';
import { safeEqual } from '../../lib/hash.ts';

/**
 * Webhook signatures. Header `Ekyc-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]` where each
 * `v1` is HMAC-SHA256(secret, `${t}.${raw_body}`) under one live secret (two during a rotation).
 * A receiver accepts when any `v1` matches one of its secrets and `t` is recent (5 min).
 */
export const SIGNATURE_HEADER = 'ekyc-signature';
export const TOLERANCE_SECONDS = 300;

export function sign(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

export function signatureHeader(secrets: string[], timestamp: number, rawBody: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${sign(s, timestamp, rawBody)}`)].join(',');
}

/** What a receiver runs (also in the README): true when the body is authentic and fresh. */
export function verifySignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowSeconds: number,
  tolerance = TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > tolerance) return false;
  const expected = sign(secret, t, rawBody);
  return parts.some(([k, v]) => k === 'v1' && typeof v === 'string' && safeEqual(v, expected));
}
