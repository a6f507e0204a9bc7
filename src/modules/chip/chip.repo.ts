import { createHash } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { type ChipCertificate, crlInfo, parseCertificate } from '../../ekyc/chip/cert.ts';
import type { TrustStore } from '../../ekyc/chip/pa.ts';
import { newId } from '../../lib/ids.ts';

export interface CscaRow {
  id: string;
  fingerprint: string;
  subject: string;
  subject_key_id: string | null;
  country: string | null;
  not_before: Date;
  not_after: Date;
  source: string;
  created_at: Date;
}

/** Inserts CSCAs in batches, skipping ones already present (same fingerprint). Returns how many were new. */
export async function insertCscas(
  db: Db,
  certs: ChipCertificate[],
  source: 'certificate' | 'master_list',
  by: string | null,
) {
  let added = 0;
  for (let i = 0; i < certs.length; i += 100) {
    const params: unknown[] = [];
    const rows = certs.slice(i, i + 100).map((c) => {
      const start = params.length;
      params.push(
        newId('csca'),
        c.fingerprint,
        c.subject,
        c.subjectKey,
        c.subjectKeyId,
        c.country,
        c.notBefore,
        c.notAfter,
        Buffer.from(c.der).toString('base64'),
        source,
        by,
      );
      return `(${Array.from({ length: 11 }, (_, k) => `$${start + k + 1}`).join(', ')})`;
    });
    const inserted = await db.query(
      `INSERT INTO chip_csca (id, fingerprint, subject, subject_key, subject_key_id, country, not_before, not_after, der_b64, source, created_by)
       VALUES ${rows.join(', ')} ON CONFLICT (fingerprint) DO NOTHING RETURNING id`,
      params as string[],
    );
    added += inserted.length;
  }
  return added;
}

export async function listCscas(db: Db, opts: { country?: string; limit: number; offset: number }) {
  const params: unknown[] = [];
  const where = opts.country ? `WHERE country = $${params.push(opts.country)}` : '';
  const items = await db.query<CscaRow>(
    `SELECT id, fingerprint, subject, subject_key_id, country, not_before, not_after, source, created_at
     FROM chip_csca ${where} ORDER BY country NULLS LAST, not_before DESC, id LIMIT ${opts.limit} OFFSET ${opts.offset}`,
    params as string[],
  );
  const [count] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM chip_csca ${where}`,
    params as string[],
  );
  return { items, total: count?.n ?? 0 };
}

export async function insertCrl(db: Db, der: Uint8Array, by: string | null): Promise<boolean> {
  const info = crlInfo(der);
  const rows = await db.query(
    `INSERT INTO chip_crl (id, fingerprint, issuer_key, this_update, next_update, der_b64, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (fingerprint) DO NOTHING RETURNING id`,
    [
      newId('crl'),
      createHash('sha256').update(der).digest('hex'),
      info.issuerKey,
      info.thisUpdate,
      info.nextUpdate,
      Buffer.from(der).toString('base64'),
      by,
    ],
  );
  return rows.length > 0;
}

// Parsed certificates are immutable: cache them by fingerprint so a verification costs no re-parse.
const parsed = new Map<string, ChipCertificate>();
function cached(fingerprint: string, b64: string): ChipCertificate {
  let c = parsed.get(fingerprint);
  if (!c) {
    c = parseCertificate(Buffer.from(b64, 'base64'));
    if (parsed.size > 5_000) parsed.clear();
    parsed.set(fingerprint, c);
  }
  return c;
}

/** The trust store backed by the database. */
export function dbTrustStore(db: Db): TrustStore {
  return {
    async findIssuers(cert) {
      const rows = await db.query<{ fingerprint: string; der_b64: string }>(
        'SELECT fingerprint, der_b64 FROM chip_csca WHERE subject_key = $1 OR ($2::text IS NOT NULL AND subject_key_id = $2) LIMIT 50',
        [cert.issuerKey, cert.authorityKeyId],
      );
      return rows.map((r) => cached(r.fingerprint, r.der_b64));
    },
    async crlsFor(csca) {
      const rows = await db.query<{ der_b64: string }>('SELECT der_b64 FROM chip_crl WHERE issuer_key = $1', [
        csca.subjectKey,
      ]);
      return rows.map((r) => new Uint8Array(Buffer.from(r.der_b64, 'base64')));
    },
  };
}
