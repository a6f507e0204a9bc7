import { parse as parseMrz } from 'mrz';
import { AppError } from '../../http/errors.ts';
import { child, parseAll, parseOne, smallInt, type Tlv, utf8, value } from './tlv.ts';

/** ICAO 9303-10 data group tags, by number. */
export const DG_TAGS: Record<number, number> = {
  1: 0x61,
  2: 0x75,
  3: 0x63,
  4: 0x76,
  5: 0x65,
  6: 0x66,
  7: 0x67,
  8: 0x68,
  9: 0x69,
  10: 0x6a,
  11: 0x6b,
  12: 0x6c,
  13: 0x6d,
  14: 0x6e,
  15: 0x6f,
  16: 0x70,
};

export interface MrzData {
  format: string;
  valid: boolean;
  invalid_fields: string[];
  raw: string;
  document_code: string | null;
  issuing_state: string | null;
  document_number: string | null;
  optional_data: string | null;
  surname: string | null;
  given_names: string | null;
  nationality: string | null;
  date_of_birth: string | null;
  sex: string | null;
  date_of_expiry: string | null;
  personal_number: string | null;
}

/** DG1: tag 61 { 5F1F MRZ }. TD1 (90), TD2 (72) or TD3 (88) characters. */
export function parseDg1(bytes: Uint8Array): MrzData | null {
  let root: Tlv;
  try {
    root = parseOne(bytes, { maxDepth: 4, maxNodes: 16 });
  } catch {
    return null;
  }
  const mrzT = root.tag === 0x61 ? child(root, 0x5f1f) : undefined;
  if (!mrzT) return null;
  const s = Buffer.from(value(mrzT))
    .toString('latin1')
    .replace(/[\r\n]/g, '');
  const widths: Record<number, number> = { 90: 30, 72: 36, 88: 44 };
  const w = widths[s.length];
  if (!w) return { ...emptyMrz(s), format: 'unknown' };
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += w) lines.push(s.slice(i, i + w));
  try {
    const r = parseMrz(lines, { autocorrect: false });
    const f = r.fields as Record<string, string | null | undefined>;
    const td1Optional = [f.optional1, f.optional2].filter(Boolean).join('');
    return {
      format: r.format,
      valid: r.valid,
      invalid_fields: r.details.filter((d) => !d.valid).map((d) => String(d.field)),
      raw: s,
      document_code: f.documentCode ?? null,
      issuing_state: f.issuingState ?? null,
      document_number: f.documentNumber ?? null,
      optional_data: td1Optional || (f.optional ?? null),
      surname: f.lastName ?? null,
      given_names: f.firstName ?? null,
      nationality: f.nationality ?? null,
      date_of_birth: f.birthDate ?? null,
      sex: f.sex ?? null,
      date_of_expiry: f.expirationDate ?? null,
      personal_number: f.personalNumber ?? null,
    };
  } catch {
    return { ...emptyMrz(s), format: 'unknown' };
  }
}

function emptyMrz(raw: string): MrzData {
  return {
    format: 'unknown',
    valid: false,
    invalid_fields: [],
    raw,
    document_code: null,
    issuing_state: null,
    document_number: null,
    optional_data: null,
    surname: null,
    given_names: null,
    nationality: null,
    date_of_birth: null,
    sex: null,
    date_of_expiry: null,
    personal_number: null,
  };
}

// ---------------------------------------------------------------------------------------------
// DG11 / DG12: tag list 5C then one element per field (ICAO 9303-10 §4.7.11–12).

const DG11_FIELDS: Record<number, string> = {
  24334: 'full_name',
  24335: 'other_names',
  24336: 'personal_number',
  24363: 'full_date_of_birth',
  24337: 'place_of_birth',
  24386: 'permanent_address',
  24338: 'telephone',
  24339: 'profession',
  24340: 'title',
  24341: 'personal_summary',
  24342: 'proof_of_citizenship',
  24343: 'other_travel_documents',
  24344: 'custody_information',
};
const DG12_FIELDS: Record<number, string> = {
  24345: 'issuing_authority',
  24358: 'date_of_issue',
  24346: 'other_persons',
  24347: 'endorsements',
  24348: 'tax_exit_requirements',
  24349: 'image_front',
  24350: 'image_rear',
  24405: 'personalization_time',
  24406: 'personalization_device_serial',
};

function parseTagged(
  bytes: Uint8Array,
  tag: number,
  names: Record<number, string>,
): Record<string, string | string[]> | null {
  let root: Tlv;
  try {
    root = parseOne(bytes, { maxDepth: 6, maxNodes: 2_000 });
  } catch {
    return null;
  }
  if (root.tag !== tag) return null;
  const out: Record<string, string | string[]> = {};
  const put = (t: Tlv) => {
    const name = names[t.tag];
    if (!name) return;
    if (name === 'image_front' || name === 'image_rear') {
      out[name] = Buffer.from(value(t)).toString('base64');
      return;
    }
    const v = t.constructed ? t.children.map((c) => utf8(value(c))) : utf8(value(t));
    const prev = out[name];
    if (prev === undefined) out[name] = v;
    else out[name] = [...(Array.isArray(prev) ? prev : [prev]), ...(Array.isArray(v) ? v : [v])];
  };
  for (const c of root.children) {
    if (c.tag === 0x5c) continue;
    if (c.tag === 0xa0) {
      // A list of "other names" / "other persons": 02 count, then repeated elements.
      for (const cc of c.children) if (cc.tag !== 0x02) put(cc);
    } else put(c);
  }
  return out;
}

export const parseDg11 = (b: Uint8Array) => parseTagged(b, 0x6b, DG11_FIELDS);
export const parseDg12 = (b: Uint8Array) => parseTagged(b, 0x6c, DG12_FIELDS);

// ---------------------------------------------------------------------------------------------
// DG13 of the Vietnamese CCCD / Căn cước: 6D { 30 { 30 { 02 n, value… } … } } with UTF-8 strings.

export interface Dg13 {
  id_number: string | null;
  full_name: string | null;
  date_of_birth: string | null;
  sex: string | null;
  nationality: string | null;
  ethnicity: string | null;
  religion: string | null;
  place_of_origin: string | null;
  place_of_residence: string | null;
  personal_features: string | null;
  date_of_issue: string | null;
  date_of_expiry: string | null;
  father_name: string | null;
  mother_name: string | null;
  spouse_name: string | null;
  old_id_number: string | null;
}

const DG13_FIELDS: Record<number, keyof Dg13> = {
  1: 'id_number',
  2: 'full_name',
  3: 'date_of_birth',
  4: 'sex',
  5: 'nationality',
  6: 'ethnicity',
  7: 'religion',
  8: 'place_of_origin',
  9: 'place_of_residence',
  10: 'personal_features',
  11: 'date_of_issue',
  12: 'date_of_expiry',
  14: 'spouse_name',
  15: 'old_id_number',
};

const STRING_TAGS = new Set([0x0c, 0x13, 0x16, 0x04, 0x1e, 0x14, 0x1a]);

function strings(t: Tlv, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (!t.constructed && STRING_TAGS.has(t.tag)) {
    out.push(t.tag === 0x1e ? Buffer.from(value(t)).swap16().toString('utf16le') : utf8(value(t)).trim());
  } else for (const c of t.children) strings(c, out, depth + 1);
}

/**
 * Reads the Vietnamese DG13. Each field is a SEQUENCE { INTEGER index, value } found at any depth;
 * field 13 holds the father's then the mother's name. Returns null when the file is not this layout
 * (e.g. ICAO's opaque DG13 example).
 */
export function parseDg13(bytes: Uint8Array): Dg13 | null {
  let root: Tlv;
  try {
    root = parseOne(bytes, { maxDepth: 10, maxNodes: 5_000 });
  } catch {
    return null;
  }
  if (root.tag !== 0x6d) return null;
  const out: Dg13 = {
    id_number: null,
    full_name: null,
    date_of_birth: null,
    sex: null,
    nationality: null,
    ethnicity: null,
    religion: null,
    place_of_origin: null,
    place_of_residence: null,
    personal_features: null,
    date_of_issue: null,
    date_of_expiry: null,
    father_name: null,
    mother_name: null,
    spouse_name: null,
    old_id_number: null,
  };
  let found = 0;
  const visit = (t: Tlv, depth: number) => {
    if (depth > 8) return;
    const first = t.children[0];
    // A field is SEQUENCE { INTEGER n, values } whose values hold no nested field (else it is a container,
    // e.g. an outer SEQUENCE that starts with a version number).
    const isField =
      t.tag === 0x30 &&
      first?.tag === 0x02 &&
      t.children.length >= 2 &&
      first.valueEnd - first.valueStart <= 2 &&
      !t.children.slice(1).some((c) => c.tag === 0x30 && c.children[0]?.tag === 0x02);
    if (isField && first) {
      let n: number;
      try {
        n = smallInt(first);
      } catch {
        return;
      }
      const vals: string[] = [];
      for (const c of t.children.slice(1)) strings(c, vals);
      if (vals.length > 0 && n >= 1 && n <= 16) {
        found++;
        if (n === 13) {
          out.father_name = vals[0] || null;
          out.mother_name = vals[1] || null;
        } else if (n === 16) {
          // Some card generations put the old 9/12-digit number here.
          if (!out.old_id_number && /^\d{9}(\d{3})?$/.test(vals[0] ?? '')) out.old_id_number = vals[0]!;
        } else {
          const key = DG13_FIELDS[n];
          if (key) out[key] = vals.join(', ') || null;
        }
        return;
      }
    }
    for (const c of t.children) visit(c, depth + 1);
  };
  visit(root, 0);
  return found > 0 ? out : null;
}

/** EF.COM: 60 { 5F01 LDS version, 5F36 Unicode version, 5C tag list }. */
export function parseCom(bytes: Uint8Array): { lds_version: string | null; data_groups: number[] } | null {
  try {
    const root = parseOne(bytes, { maxDepth: 3, maxNodes: 16 });
    if (root.tag !== 0x60) return null;
    const v = child(root, 0x5f01);
    const list = child(root, 0x5c);
    const tagToDg = new Map(Object.entries(DG_TAGS).map(([dg, tag]) => [tag, Number(dg)]));
    return {
      lds_version: v ? Buffer.from(value(v)).toString('latin1') : null,
      data_groups: list
        ? [...value(list)].map((t) => tagToDg.get(t)).filter((n): n is number => n !== undefined)
        : [],
    };
  } catch (e) {
    if (e instanceof AppError) return null;
    throw e;
  }
}

/** Splits a BER file into its top-level elements (used by the fuzz tests and the generic view). */
export function topLevel(bytes: Uint8Array): Tlv[] {
  return parseAll(bytes);
}
