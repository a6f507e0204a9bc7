import { dmyCompactToIso, dmyToIso, normalizeName, normalizeSex, normalizeText } from './normalize.ts';

/**
 * The chip CCCD / Căn cước QR payload: `id12|old_id9|full name|DDMMYYYY|Nam/Nữ|address|DDMMYYYY`
 * (UTF-8). Strict mode accepts only that; lenient mode also takes the 6-field variant without the
 * old ID, slashed dates, `Label:value` scanner output and trailing extra fields.
 */
export interface CccdQrData {
  id_number: string;
  old_id_number: string | null;
  full_name: string;
  date_of_birth: string;
  sex: 'M' | 'F';
  place_of_residence: string;
  date_of_issue: string;
}

export type QrParseResult =
  | { ok: true; data: CccdQrData; variant: 'canonical' | 'six_field' | 'lenient'; warnings: string[] }
  | { ok: false; reason: string };

const fail = (reason: string): QrParseResult => ({ ok: false, reason });

export function parseCccdQr(payload: string, mode: 'strict' | 'lenient' = 'strict'): QrParseResult {
  const text = payload
    .normalize('NFC')
    .replace(/^\uFEFF/, '')
    .trim();
  if (!text) return fail('empty payload');
  let parts = text.split('|');
  const warnings: string[] = [];
  if (mode === 'strict') {
    if (parts.length !== 7) return fail(`expected 7 fields, got ${parts.length}`);
    const [id, old, name, dob, sex, addr, issue] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^\d{12}$/.test(id)) return fail('id_number is not 12 digits');
    if (old !== '' && !/^\d{9}$/.test(old)) return fail('old_id_number is not empty or 9 digits');
    const dobIso = dmyCompactToIso(dob);
    if (!dobIso) return fail('date_of_birth is not DDMMYYYY');
    const issueIso = dmyCompactToIso(issue);
    if (!issueIso) return fail('date_of_issue is not DDMMYYYY');
    if (sex !== 'Nam' && sex !== 'Nữ') return fail('sex is not Nam or Nữ');
    if (!name.trim() || !addr.trim()) return fail('empty name or address');
    return {
      ok: true,
      variant: 'canonical',
      warnings,
      data: {
        id_number: id,
        old_id_number: old || null,
        full_name: normalizeName(name),
        date_of_birth: dobIso,
        sex: sex === 'Nam' ? 'M' : 'F',
        place_of_residence: normalizeText(addr),
        date_of_issue: issueIso,
      },
    };
  }
  // Lenient: strip `Label:` prefixes some scanners add.
  if (parts.some((p) => /^[^:\d|]{2,20}:/.test(p))) {
    parts = parts.map((p) => p.replace(/^[^:\d|]{2,20}:\s*/, ''));
    warnings.push('labels removed');
  }
  parts = parts.map((p) => p.trim());
  let variant: 'canonical' | 'six_field' | 'lenient' = 'canonical';
  if (parts.length === 6 && /^\d{12}$/.test(parts[0] ?? '') && !/^\d{9}$/.test(parts[1] ?? '')) {
    parts.splice(1, 0, '');
    variant = 'six_field';
    warnings.push('old ID field missing');
  } else if (parts.length > 7) {
    warnings.push(`${parts.length - 7} extra fields ignored`);
    parts = parts.slice(0, 7);
    variant = 'lenient';
  }
  if (parts.length !== 7) return fail(`expected 6 or 7 fields, got ${parts.length}`);
  const [id, old, name, dob, sex, addr, issue] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d{12}$/.test(id)) return fail('id_number is not 12 digits');
  if (old !== '' && !/^\d{9}$/.test(old)) return fail('old_id_number is not empty or 9 digits');
  const dobIso = dmyToIso(dob);
  const issueIso = dmyToIso(issue);
  if (!dobIso || !issueIso) return fail('a date is not a valid day');
  if (!/^\d{8}$/.test(dob) || !/^\d{8}$/.test(issue)) {
    warnings.push('dates not in DDMMYYYY');
    variant = 'lenient';
  }
  const sx = normalizeSex(sex);
  if (!sx) return fail('sex is not Nam or Nữ');
  if (!name || !addr) return fail('empty name or address');
  if (warnings.includes('labels removed')) variant = 'lenient';
  return {
    ok: true,
    variant,
    warnings,
    data: {
      id_number: id,
      old_id_number: old || null,
      full_name: normalizeName(name),
      date_of_birth: dobIso,
      sex: sx,
      place_of_residence: normalizeText(addr),
      date_of_issue: issueIso,
    },
  };
}

/** Builds the canonical payload (used by the card renderer and round-trip tests). */
export function formatCccdQr(d: CccdQrData): string {
  const dmy = (iso: string) => `${iso.slice(8, 10)}${iso.slice(5, 7)}${iso.slice(0, 4)}`;
  return [
    d.id_number,
    d.old_id_number ?? '',
    d.full_name,
    dmy(d.date_of_birth),
    d.sex === 'M' ? 'Nam' : 'Nữ',
    d.place_of_residence,
    dmy(d.date_of_issue),
  ].join('|');
}
