import { chipError } from './errors.ts';

/**
 * A bounded BER-TLV reader (ISO 7816-4 / X.690): definite and indefinite lengths, multi-byte tags.
 * Every length is checked against the buffer, nesting depth and element count are capped, so a
 * hostile file costs linear time and fails with a code instead of a crash or a hang.
 */
export interface Tlv {
  /** The tag bytes read as one big-endian number: 0x30, 0x5f1f, 0x7f61 … */
  tag: number;
  constructed: boolean;
  /** Offset of the first tag byte in `buf`. */
  start: number;
  /** Offset of the first content byte. */
  valueStart: number;
  /** Offset just past the content (before the end-of-contents octets of an indefinite length). */
  valueEnd: number;
  /** Offset just past the whole element (after the end-of-contents octets). */
  end: number;
  indefinite: boolean;
  children: Tlv[];
  buf: Uint8Array;
}

export interface TlvLimits {
  maxDepth?: number;
  maxNodes?: number;
}

const DEFAULT_DEPTH = 40;
const DEFAULT_NODES = 200_000;

export function value(t: Tlv): Uint8Array {
  return t.buf.subarray(t.valueStart, t.valueEnd);
}

export function raw(t: Tlv): Uint8Array {
  return t.buf.subarray(t.start, t.end);
}

/** Parses one element at `offset` (with its subtree); `end` says where the next one starts. */
export function parseTlv(buf: Uint8Array, limits: TlvLimits = {}, offset = 0, stop = buf.length): Tlv {
  const state = {
    nodes: 0,
    maxNodes: limits.maxNodes ?? DEFAULT_NODES,
    maxDepth: limits.maxDepth ?? DEFAULT_DEPTH,
  };
  return readElement(buf, offset, stop, 0, state);
}

/** Parses `buf` that must hold exactly one element (trailing zero padding allowed, as chips pad files). */
export function parseOne(buf: Uint8Array, limits: TlvLimits = {}): Tlv {
  if (buf.length < 2) throw chipError('ERR_CHIP_ASN1', 'File is too short to be ASN.1');
  const t = parseTlv(buf, limits);
  for (let i = t.end; i < buf.length; i++) {
    if (buf[i] !== 0x00 && buf[i] !== 0xff)
      throw chipError('ERR_CHIP_ASN1', 'Trailing bytes after the ASN.1 element');
  }
  return t;
}

/** Parses a sequence of sibling elements filling [offset, stop). */
export function parseAll(buf: Uint8Array, offset = 0, stop = buf.length, limits: TlvLimits = {}): Tlv[] {
  const state = {
    nodes: 0,
    maxNodes: limits.maxNodes ?? DEFAULT_NODES,
    maxDepth: limits.maxDepth ?? DEFAULT_DEPTH,
  };
  const out: Tlv[] = [];
  let p = offset;
  while (p < stop) {
    const t = readElement(buf, p, stop, 0, state);
    out.push(t);
    p = t.end;
  }
  return out;
}

interface State {
  nodes: number;
  maxNodes: number;
  maxDepth: number;
}

function readElement(buf: Uint8Array, offset: number, stop: number, depth: number, state: State): Tlv {
  if (depth > state.maxDepth) throw chipError('ERR_CHIP_ASN1_TOO_DEEP', `More than ${state.maxDepth} levels`);
  if (++state.nodes > state.maxNodes) throw chipError('ERR_CHIP_ASN1_TOO_LARGE');
  let p = offset;
  if (p >= stop) throw chipError('ERR_CHIP_ASN1', 'Element starts past the end of its container');
  const first = buf[p++]!;
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    let n = 0;
    for (;;) {
      if (p >= stop) throw chipError('ERR_CHIP_ASN1', 'Tag runs past the end of the data');
      const b = buf[p++]!;
      tag = tag * 256 + b;
      if (++n > 3) throw chipError('ERR_CHIP_ASN1', 'Tag is longer than 4 bytes');
      if ((b & 0x80) === 0) break;
    }
  }
  const constructed = (first & 0x20) !== 0;
  if (p >= stop) throw chipError('ERR_CHIP_ASN1', 'Length runs past the end of the data');
  const lb = buf[p++]!;
  let length = -1;
  if (lb < 0x80) length = lb;
  else if (lb === 0x80) length = -1;
  else {
    const n = lb & 0x7f;
    if (n > 4 || lb === 0xff) throw chipError('ERR_CHIP_ASN1', 'Length field is longer than 4 bytes');
    if (p + n > stop) throw chipError('ERR_CHIP_ASN1', 'Length runs past the end of the data');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
  }
  const valueStart = p;
  const children: Tlv[] = [];
  if (length >= 0) {
    const valueEnd = valueStart + length;
    if (valueEnd > stop) throw chipError('ERR_CHIP_ASN1', 'A length points beyond the end of the data');
    if (constructed) {
      let q = valueStart;
      while (q < valueEnd) {
        const c = readElement(buf, q, valueEnd, depth + 1, state);
        children.push(c);
        q = c.end;
      }
    }
    return {
      tag,
      constructed,
      start: offset,
      valueStart,
      valueEnd,
      end: valueEnd,
      indefinite: false,
      children,
      buf,
    };
  }
  if (!constructed) throw chipError('ERR_CHIP_ASN1', 'Indefinite length on a primitive element');
  let q = valueStart;
  for (;;) {
    if (q + 2 > stop) throw chipError('ERR_CHIP_ASN1', 'Indefinite length without end-of-contents');
    if (buf[q] === 0 && buf[q + 1] === 0) break;
    const c = readElement(buf, q, stop, depth + 1, state);
    children.push(c);
    q = c.end;
  }
  return {
    tag,
    constructed,
    start: offset,
    valueStart,
    valueEnd: q,
    end: q + 2,
    indefinite: true,
    children,
    buf,
  };
}

/** The first child with `tag`, or undefined. */
export function child(t: Tlv, tag: number): Tlv | undefined {
  return t.children.find((c) => c.tag === tag);
}

/** Content of a string type, joining the segments of a BER constructed string. */
export function octets(t: Tlv): Uint8Array {
  if (!t.constructed) return value(t);
  const parts = t.children.map(octets);
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function hasIndefinite(t: Tlv): boolean {
  return t.indefinite || t.children.some(hasIndefinite);
}

/** DER-style re-encoding with definite lengths (signatures cover DER even when a file is BER). */
export function toDer(t: Tlv, overrideTag?: number): Uint8Array {
  if (!hasIndefinite(t) && overrideTag === undefined) return raw(t);
  const tag = overrideTag ?? t.tag;
  if (!t.constructed) return encode(tag, value(t));
  return encode(tag, concat(t.children.map((c) => toDer(c))));
}

function tagBytes(tag: number): number[] {
  const out: number[] = [];
  let t = tag;
  do {
    out.unshift(t & 0xff);
    t = Math.floor(t / 256);
  } while (t > 0);
  return out;
}

export function lengthBytes(len: number): number[] {
  if (len < 0x80) return [len];
  const out: number[] = [];
  let l = len;
  while (l > 0) {
    out.unshift(l & 0xff);
    l = Math.floor(l / 256);
  }
  return [0x80 | out.length, ...out];
}

/** Encodes one element; `content` is the value or the concatenation of already-encoded children. */
export function encode(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  return concat([Uint8Array.from([...tagBytes(tag), ...lengthBytes(body.length)]), body]);
}

/** INTEGER content as an unsigned big-endian number (leading zero stripped). */
export function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

export function smallInt(t: Tlv): number {
  const v = value(t);
  if (v.length === 0 || v.length > 6) throw chipError('ERR_CHIP_ASN1', 'Integer out of range');
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** OBJECT IDENTIFIER content to dotted form. */
export function oidString(t: Tlv): string {
  if (t.tag !== 0x06) throw chipError('ERR_CHIP_ASN1', 'Expected an object identifier');
  const v = value(t);
  if (v.length === 0 || v.length > 64) throw chipError('ERR_CHIP_ASN1', 'Bad object identifier');
  const parts: number[] = [];
  let n = 0;
  for (const b of v) {
    n = n * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(n);
      n = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

export function oidBytes(oid: string): Uint8Array {
  const p = oid.split('.').map(Number);
  const out: number[] = [];
  const arcs = [p[0]! * 40 + p[1]!, ...p.slice(2)];
  for (const arc of arcs) {
    const bytes: number[] = [];
    let a = arc;
    do {
      bytes.unshift(a & 0x7f);
      a = Math.floor(a / 128);
    } while (a > 0);
    for (let i = 0; i < bytes.length - 1; i++) bytes[i]! |= 0x80;
    out.push(...bytes);
  }
  return encode(0x06, Uint8Array.from(out));
}

export const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const utf8 = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(b);

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
