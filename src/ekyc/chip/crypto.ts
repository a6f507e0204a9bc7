import { createHash, type webcrypto } from 'node:crypto';
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { chipError } from './errors.ts';
import { encode, oidBytes, oidString, parseOne, type Tlv, toBigInt, value } from './tlv.ts';

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export const HASH_OIDS: Record<string, HashName> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
export const HASH_OID_OF: Record<HashName, string> = Object.fromEntries(
  Object.entries(HASH_OIDS).map(([o, h]) => [h, o]),
) as Record<HashName, string>;

const HASH_LEN: Record<HashName, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

export function digest(alg: HashName, data: Uint8Array): Uint8Array {
  return createHash(alg).update(data).digest();
}

/** Signature algorithm OIDs: which family and (when fixed by the OID) which hash. */
const SIG_OIDS: Record<
  string,
  { family: 'rsa' | 'rsa-pss' | 'ecdsa' | 'ecdsa-plain'; hash?: HashName; name: string }
> = {
  '1.2.840.113549.1.1.1': { family: 'rsa', name: 'rsaEncryption' },
  '1.2.840.113549.1.1.5': { family: 'rsa', hash: 'sha1', name: 'sha1WithRSAEncryption' },
  '1.2.840.113549.1.1.14': { family: 'rsa', hash: 'sha224', name: 'sha224WithRSAEncryption' },
  '1.2.840.113549.1.1.11': { family: 'rsa', hash: 'sha256', name: 'sha256WithRSAEncryption' },
  '1.2.840.113549.1.1.12': { family: 'rsa', hash: 'sha384', name: 'sha384WithRSAEncryption' },
  '1.2.840.113549.1.1.13': { family: 'rsa', hash: 'sha512', name: 'sha512WithRSAEncryption' },
  '1.2.840.113549.1.1.10': { family: 'rsa-pss', name: 'rsassa-pss' },
  '1.2.840.10045.2.1': { family: 'ecdsa', name: 'ecdsa' },
  '1.2.840.10045.4.1': { family: 'ecdsa', hash: 'sha1', name: 'ecdsa-with-SHA1' },
  '1.2.840.10045.4.3.1': { family: 'ecdsa', hash: 'sha224', name: 'ecdsa-with-SHA224' },
  '1.2.840.10045.4.3.2': { family: 'ecdsa', hash: 'sha256', name: 'ecdsa-with-SHA256' },
  '1.2.840.10045.4.3.3': { family: 'ecdsa', hash: 'sha384', name: 'ecdsa-with-SHA384' },
  '1.2.840.10045.4.3.4': { family: 'ecdsa', hash: 'sha512', name: 'ecdsa-with-SHA512' },
  // BSI TR-03111 plain ECDSA: r || s instead of a DER SEQUENCE.
  '0.4.0.127.0.7.1.1.4.1.1': { family: 'ecdsa-plain', hash: 'sha1', name: 'ecdsa-plain-SHA1' },
  '0.4.0.127.0.7.1.1.4.1.2': { family: 'ecdsa-plain', hash: 'sha224', name: 'ecdsa-plain-SHA224' },
  '0.4.0.127.0.7.1.1.4.1.3': { family: 'ecdsa-plain', hash: 'sha256', name: 'ecdsa-plain-SHA256' },
  '0.4.0.127.0.7.1.1.4.1.4': { family: 'ecdsa-plain', hash: 'sha384', name: 'ecdsa-plain-SHA384' },
  '0.4.0.127.0.7.1.1.4.1.5': { family: 'ecdsa-plain', hash: 'sha512', name: 'ecdsa-plain-SHA512' },
};

export interface SignatureAlgorithm {
  oid: string;
  family: 'rsa' | 'rsa-pss' | 'ecdsa' | 'ecdsa-plain';
  /** Hash over the signed bytes; for PSS from its parameters, else from the OID or the fallback. */
  hash: HashName;
  name: string;
  pss?: { hash: HashName; saltLength: number };
}

/** Reads an AlgorithmIdentifier of a signature; `fallbackHash` covers rsaEncryption/ecPublicKey OIDs used bare. */
export function signatureAlgorithm(algId: Tlv, fallbackHash: HashName): SignatureAlgorithm {
  const oidNode = algId.children[0];
  if (!oidNode) throw chipError('ERR_CHIP_ASN1', 'Empty AlgorithmIdentifier');
  const oid = oidString(oidNode);
  const known = SIG_OIDS[oid];
  if (!known) throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', `Signature algorithm ${oid}`);
  if (known.family === 'rsa-pss') {
    const pss = pssParams(algId.children[1]);
    return { oid, family: 'rsa-pss', hash: pss.hash, name: `rsassa-pss-${pss.hash}`, pss };
  }
  const hash = known.hash ?? fallbackHash;
  return { oid, family: known.family, hash, name: known.hash ? known.name : `${known.name}-${hash}` };
}

/** RSASSA-PSS-params (RFC 4055): defaults SHA-1, MGF1-SHA-1, salt 20. */
function pssParams(p: Tlv | undefined): { hash: HashName; saltLength: number } {
  let hash: HashName = 'sha1';
  let saltLength = 20;
  if (p && p.tag === 0x30) {
    for (const c of p.children) {
      if (c.tag === 0xa0) {
        const h = c.children[0]?.children[0];
        const name = h ? HASH_OIDS[oidString(h)] : undefined;
        if (!name) throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', 'PSS hash');
        hash = name;
      } else if (c.tag === 0xa2) {
        const n = c.children[0];
        if (!n) throw chipError('ERR_CHIP_ASN1', 'PSS salt length');
        saltLength = Number(toBigInt(value(n)));
      }
    }
  }
  return { hash, saltLength };
}

// ---------------------------------------------------------------------------------------------
// Public keys

export type PublicKey =
  | { kind: 'rsa'; n: bigint; e: bigint; bits: number; jwk: webcrypto.JsonWebKey }
  | { kind: 'ec'; curve: CurveParams; curveName: string; point: Uint8Array; bits: number };

interface CurveParams {
  p: bigint;
  a: bigint;
  b: bigint;
  Gx: bigint;
  Gy: bigint;
  n: bigint;
  h: bigint;
}

const NAMED_CURVES: Record<string, { name: string; params: () => CurveParams }> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', params: () => p256.Point.CURVE() },
  '1.3.132.0.34': { name: 'P-384', params: () => p384.Point.CURVE() },
  '1.3.132.0.35': { name: 'P-521', params: () => p521.Point.CURVE() },
  '1.3.36.3.3.2.8.1.1.7': { name: 'brainpoolP256r1', params: () => brainpoolP256r1.Point.CURVE() },
  '1.3.36.3.3.2.8.1.1.11': { name: 'brainpoolP384r1', params: () => brainpoolP384r1.Point.CURVE() },
  '1.3.36.3.3.2.8.1.1.13': { name: 'brainpoolP512r1', params: () => brainpoolP512r1.Point.CURVE() },
};

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Reads a SubjectPublicKeyInfo (RSA, RSA-PSS, EC named or explicit parameters). */
export function parsePublicKey(spki: Tlv): PublicKey {
  const alg = spki.children[0];
  const bits = spki.children[1];
  if (!alg || !bits || bits.tag !== 0x03 || !alg.children[0])
    throw chipError('ERR_CHIP_CERTIFICATE', 'Bad public key');
  const oid = oidString(alg.children[0]);
  const keyBytes = value(bits).subarray(1);
  if (oid === '1.2.840.113549.1.1.1' || oid === '1.2.840.113549.1.1.10') {
    const seq = parseOne(keyBytes);
    const [nT, eT] = seq.children;
    if (!nT || !eT) throw chipError('ERR_CHIP_CERTIFICATE', 'Bad RSA key');
    const nb = stripZero(value(nT));
    const eb = stripZero(value(eT));
    const n = toBigInt(nb);
    return {
      kind: 'rsa',
      n,
      e: toBigInt(eb),
      bits: bitLength(n),
      jwk: { kty: 'RSA', n: b64url(nb), e: b64url(eb), ext: true },
    };
  }
  if (oid === '1.2.840.10045.2.1') {
    const params = alg.children[1];
    if (!params) throw chipError('ERR_CHIP_CERTIFICATE', 'EC key without curve');
    let curve: CurveParams;
    let curveName: string;
    if (params.tag === 0x06) {
      const c = NAMED_CURVES[oidString(params)];
      if (!c) throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', `Curve ${oidString(params)}`);
      curve = c.params();
      curveName = c.name;
    } else if (params.tag === 0x30) {
      curve = explicitCurve(params);
      curveName = identifyCurve(curve) ?? `explicit-${bitLength(curve.p)}`;
    } else throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', 'Implicit EC parameters');
    return { kind: 'ec', curve, curveName, point: keyBytes, bits: bitLength(curve.n) };
  }
  throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', `Public key ${oid}`);
}

function stripZero(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** SEC 1 ECParameters: version, FieldID (prime-field only), Curve {a, b}, base point, order, cofactor. */
function explicitCurve(params: Tlv): CurveParams {
  const [, fieldId, curveT, baseT, orderT, cofT] = params.children;
  if (!fieldId || !curveT || !baseT || !orderT)
    throw chipError('ERR_CHIP_CERTIFICATE', 'Bad explicit EC parameters');
  const fieldType = fieldId.children[0];
  if (!fieldType || oidString(fieldType) !== '1.2.840.10045.1.1' || !fieldId.children[1]) {
    throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', 'Only prime-field curves are supported');
  }
  const p = toBigInt(value(fieldId.children[1]));
  const a = toBigInt(value(curveT.children[0] ?? curveT));
  const b = toBigInt(value(curveT.children[1] ?? curveT));
  const base = value(baseT);
  const n = toBigInt(value(orderT));
  const h = cofT ? toBigInt(value(cofT)) : 1n;
  const size = Math.ceil(bitLength(p) / 8);
  if (base[0] !== 0x04 || base.length !== 1 + 2 * size) {
    throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', 'Compressed base point');
  }
  return { p, a, b, Gx: toBigInt(base.subarray(1, 1 + size)), Gy: toBigInt(base.subarray(1 + size)), n, h };
}

function identifyCurve(c: CurveParams): string | undefined {
  for (const { name, params } of Object.values(NAMED_CURVES)) {
    const k = params();
    if (k.p === c.p && k.a === c.a && k.b === c.b && k.Gx === c.Gx && k.n === c.n) return name;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Verification

const pointCache = new Map<string, ReturnType<typeof weierstrass<bigint>>>();

function curvePoint(c: CurveParams) {
  const key = `${c.p}:${c.a}:${c.b}:${c.Gx}:${c.Gy}:${c.n}`;
  let P = pointCache.get(key);
  if (!P) {
    P = weierstrass<bigint>({ p: c.p, n: c.n, h: c.h, a: c.a, b: c.b, Gx: c.Gx, Gy: c.Gy });
    if (pointCache.size > 64) pointCache.clear();
    pointCache.set(key, P);
  }
  return P;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function invert(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return mod(s0, m);
}

/** ECDSA verification (SEC 1 §4.1.4) over any prime-field short-Weierstrass curve. */
export function ecdsaVerify(
  key: Extract<PublicKey, { kind: 'ec' }>,
  hash: Uint8Array,
  r: bigint,
  s: bigint,
): boolean {
  try {
    return ecdsaVerifyUnsafe(key, hash, r, s);
  } catch {
    // Bad explicit parameters (not a curve, order not prime …) cannot verify anything.
    return false;
  }
}

function ecdsaVerifyUnsafe(
  key: Extract<PublicKey, { kind: 'ec' }>,
  hash: Uint8Array,
  r: bigint,
  s: bigint,
): boolean {
  const { n } = key.curve;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const Point = curvePoint(key.curve);
  let Q: InstanceType<typeof Point>;
  try {
    Q = Point.fromBytes(key.point);
    Q.assertValidity();
  } catch {
    return false;
  }
  let e = toBigInt(hash);
  const nBits = bitLength(n);
  if (hash.length * 8 > nBits) e >>= BigInt(hash.length * 8 - nBits);
  const w = invert(s, n);
  const u1 = mod(e * w, n);
  const u2 = mod(r * w, n);
  const X = Point.BASE.multiplyUnsafe(u1).add(Q.multiplyUnsafe(u2));
  if (X.is0()) return false;
  return mod(X.toAffine().x, n) === r;
}

function ecdsaSignatureParts(sig: Uint8Array, plain: boolean): { r: bigint; s: bigint } | undefined {
  if (plain) {
    if (sig.length % 2 !== 0 || sig.length === 0) return undefined;
    const h = sig.length / 2;
    return { r: toBigInt(sig.subarray(0, h)), s: toBigInt(sig.subarray(h)) };
  }
  try {
    const seq = parseOne(sig, { maxDepth: 2, maxNodes: 4 });
    const [rT, sT] = seq.children;
    if (seq.tag !== 0x30 || !rT || !sT || rT.tag !== 0x02 || sT.tag !== 0x02) return undefined;
    return { r: toBigInt(value(rT)), s: toBigInt(value(sT)) };
  } catch {
    return undefined;
  }
}

const WEBCRYPTO_CURVES: Record<string, { bits: number }> = {
  'P-256': { bits: 256 },
  'P-384': { bits: 384 },
  'P-521': { bits: 521 },
};

const SUBTLE_HASH: Record<HashName, string> = {
  sha1: 'SHA-1',
  sha224: 'SHA-224',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
};

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let result = 1n;
  let base = b % m;
  let x = e;
  while (x > 0n) {
    if (x & 1n) result = (result * base) % m;
    base = (base * base) % m;
    x >>= 1n;
  }
  return result;
}

function toBytes(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = n;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

const DIGEST_INFO_PREFIX: Record<HashName, string> = {
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.2), also accepting DigestInfo without the NULL parameter. */
function rsaPkcs1Verify(
  key: Extract<PublicKey, { kind: 'rsa' }>,
  hash: HashName,
  h: Uint8Array,
  sig: Uint8Array,
): boolean {
  const k = Math.ceil(key.bits / 8);
  if (sig.length !== k) return false;
  const s = toBigInt(sig);
  if (s >= key.n) return false;
  const em = toBytes(modPow(s, key.e, key.n), k);
  if (em[0] !== 0 || em[1] !== 1) return false;
  let i = 2;
  while (i < em.length && em[i] === 0xff) i++;
  if (i < 10 || em[i] !== 0) return false;
  const t = Buffer.from(em.subarray(i + 1));
  const withNull = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[hash], 'hex'), h]);
  if (t.equals(withNull)) return true;
  // Some old signers omit the NULL parameters in the DigestInfo.
  const noNull = encode(0x30, encode(0x30, oidBytes(HASH_OID_OF[hash])), encode(0x04, h));
  return t.equals(Buffer.from(noNull));
}

/** Verifies `sig` over `data` with `key`; a malformed signature is simply invalid. */
export async function verifySignature(
  key: PublicKey,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  sig: Uint8Array,
): Promise<boolean> {
  if (key.kind === 'ec') {
    if (alg.family !== 'ecdsa' && alg.family !== 'ecdsa-plain') return false;
    const parts = ecdsaSignatureParts(sig, alg.family === 'ecdsa-plain');
    if (!parts) return false;
    const native = WEBCRYPTO_CURVES[key.curveName];
    if (native && alg.hash !== 'sha224') {
      // NIST curves: WebCrypto (native code) is several times faster than the generic path.
      try {
        const size = Math.ceil(native.bits / 8);
        const k = await crypto.subtle.importKey(
          'raw',
          key.point,
          { name: 'ECDSA', namedCurve: key.curveName },
          false,
          ['verify'],
        );
        const rs = new Uint8Array(2 * size);
        if (parts.r >= 1n << BigInt(8 * size) || parts.s >= 1n << BigInt(8 * size)) return false;
        rs.set(toBytes(parts.r, size), 0);
        rs.set(toBytes(parts.s, size), size);
        return await crypto.subtle.verify({ name: 'ECDSA', hash: SUBTLE_HASH[alg.hash] }, k, rs, data);
      } catch {
        // Fall through to the generic implementation.
      }
    }
    return ecdsaVerify(key, digest(alg.hash, data), parts.r, parts.s);
  }
  if (alg.family === 'rsa') return rsaPkcs1Verify(key, alg.hash, digest(alg.hash, data), sig);
  if (alg.family === 'rsa-pss' && alg.pss) {
    try {
      const k = await crypto.subtle.importKey(
        'jwk',
        { ...key.jwk, alg: undefined },
        { name: 'RSA-PSS', hash: SUBTLE_HASH[alg.pss.hash] },
        false,
        ['verify'],
      );
      return await crypto.subtle.verify({ name: 'RSA-PSS', saltLength: alg.pss.saltLength }, k, sig, data);
    } catch {
      return false;
    }
  }
  return false;
}

export function hashLength(h: HashName): number {
  return HASH_LEN[h];
}
