import { createHash, createHmac } from 'node:crypto';

/**
 * A small S3 client (path-style requests, AWS Signature Version 4) for the few calls the blob store
 * needs: PUT, GET, DELETE and ListObjectsV2. Works against AWS S3, MinIO, Ceph RGW, Viettel/FPT/VNG
 * S3-compatible object storage. No SDK: 150 lines instead of a few MB of dependencies.
 */
export interface S3Location {
  endpoint: string;
  region: string;
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ('' for none). */
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export class S3Error extends Error {
  readonly status: number;
  readonly s3Code: string | undefined;
  constructor(status: number, s3Code: string | undefined, message: string) {
    super(message);
    this.name = 'S3Error';
    this.status = status;
    this.s3Code = s3Code;
  }
}

/** `s3://bucket/prefix?endpoint=http://host:port&region=…`; credentials come from the environment. */
export function parseStorageUrl(
  url: string,
  env: Record<string, string | undefined> = process.env,
): S3Location {
  const u = new URL(url);
  if (u.protocol !== 's3:') throw new Error('STORAGE_URL must start with s3://');
  const region = u.searchParams.get('region') ?? env.AWS_REGION ?? 'us-east-1';
  const accessKeyId = env.AWS_ACCESS_KEY_ID ?? env.S3_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY ?? env.S3_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('STORAGE_URL needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment');
  }
  return {
    endpoint: (u.searchParams.get('endpoint') ?? `https://s3.${region}.amazonaws.com`).replace(/\/+$/, ''),
    region,
    bucket: u.hostname,
    prefix: u.pathname.replace(/^\/+|\/+$/g, ''),
    accessKeyId,
    secretAccessKey,
  };
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (`/` kept in paths). */
function encode(s: string, keepSlash: boolean): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, keepSlash ? '/' : '%2F');
}

export interface SignInput {
  method: string;
  url: URL;
  headers: Record<string, string>;
  payloadHash: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service?: string;
  now: Date;
}

/** Returns the headers to send (including `authorization`, `x-amz-date`, `x-amz-content-sha256`). */
export function signV4(input: SignInput): Record<string, string> {
  const service = input.service ?? 's3';
  const amzDate = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v])),
    host: input.url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': input.payloadHash,
  };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const query = [...input.url.searchParams.entries()]
    .map(([k, v]) => [encode(k, false), encode(v, false)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const path = encode(decodeURIComponent(input.url.pathname), true);
  const canonicalRequest = [
    input.method,
    path,
    query,
    canonicalHeaders,
    signedHeaders,
    input.payloadHash,
  ].join('\n');
  const scope = `${day}/${input.region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${input.secretAccessKey}`, day), input.region), service),
    'aws4_request',
  );
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

export interface S3Client {
  put(key: string, body: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

const xmlText = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export function createS3Client(
  loc: S3Location,
  opts: { timeoutMs?: number; now?: () => Date } = {},
): S3Client {
  const now = opts.now ?? (() => new Date());
  const base = `${loc.endpoint}/${encode(loc.bucket, false)}`;
  const full = (key: string) => (loc.prefix ? `${loc.prefix}/${key}` : key);

  async function send(method: string, url: URL, body?: Uint8Array, extra: Record<string, string> = {}) {
    const payloadHash = sha256(body ?? new Uint8Array());
    // Network errors and 5xx/503 SlowDown are retried twice with a short backoff.
    for (let attempt = 0; ; attempt++) {
      const headers = signV4({
        method,
        url,
        headers: { ...extra, ...(body ? { 'content-length': String(body.length) } : {}) },
        payloadHash,
        accessKeyId: loc.accessKeyId,
        secretAccessKey: loc.secretAccessKey,
        region: loc.region,
        now: now(),
      });
      delete headers.host;
      try {
        const res = await fetch(url, {
          method,
          headers,
          ...(body ? { body } : {}),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
        if (res.status >= 500 && attempt < 2) {
          await res.arrayBuffer().catch(() => undefined);
          await new Promise((r) => setTimeout(r, 100 * 4 ** attempt));
          continue;
        }
        return res;
      } catch (err) {
        if (attempt >= 2) throw err;
        await new Promise((r) => setTimeout(r, 100 * 4 ** attempt));
      }
    }
  }

  async function fail(res: Response, what: string): Promise<never> {
    const text = await res.text().catch(() => '');
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
    throw new S3Error(res.status, code, `S3 ${what} failed: ${res.status} ${code ?? ''}`.trim());
  }

  return {
    async put(key, body) {
      const res = await send('PUT', new URL(`${base}/${encode(full(key), true)}`), body, {
        'content-type': 'application/octet-stream',
      });
      if (!res.ok) await fail(res, 'PUT');
      await res.arrayBuffer();
    },
    async get(key) {
      const res = await send('GET', new URL(`${base}/${encode(full(key), true)}`));
      if (res.status === 404) {
        await res.arrayBuffer();
        return undefined;
      }
      if (!res.ok) await fail(res, 'GET');
      return Buffer.from(await res.arrayBuffer());
    },
    async delete(key) {
      const res = await send('DELETE', new URL(`${base}/${encode(full(key), true)}`));
      if (!res.ok && res.status !== 404) await fail(res, 'DELETE');
      await res.arrayBuffer();
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      const strip = loc.prefix ? loc.prefix.length + 1 : 0;
      do {
        const url = new URL(`${base}/`);
        url.searchParams.set('list-type', '2');
        url.searchParams.set('prefix', full(prefix));
        if (token) url.searchParams.set('continuation-token', token);
        const res = await send('GET', url);
        if (!res.ok) await fail(res, 'LIST');
        const xml = await res.text();
        for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(xmlText(m[1]!).slice(strip));
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? xmlText(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
          : undefined;
      } while (token);
      return keys;
    },
  };
}
