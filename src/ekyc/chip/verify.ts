import {
  type Dg13,
  type MrzData,
  parseCom,
  parseDg1,
  parseDg11,
  parseDg12,
  parseDg13,
} from './datagroups.ts';
import { type ExtractedFace, extractFace, faceForDisplay } from './face.ts';
import { type PassiveAuthentication, passiveAuthentication, type TrustStore } from './pa.ts';

export interface ChipFiles {
  sod: Uint8Array;
  com?: Uint8Array;
  /** Data groups by number (1–16), raw bytes as read from the chip. */
  dataGroups: Map<number, Uint8Array>;
}

/** Fields read from the card itself (OCR or QR) in the same session, to compare with the chip. */
export interface DocumentFields {
  id_number?: string;
  old_id_number?: string;
  full_name?: string;
  date_of_birth?: string;
  sex?: string;
  date_of_expiry?: string;
  date_of_issue?: string;
}

export type CheckStatus = 'pass' | 'fail' | 'not_applicable';
export interface Check {
  code: string;
  status: CheckStatus;
  fields?: Record<string, CheckStatus>;
}

export interface ChipVerification {
  passive_authentication: PassiveAuthentication;
  data: {
    com: ReturnType<typeof parseCom>;
    mrz: MrzData | null;
    dg13: Dg13 | null;
    dg11: Record<string, string | string[]> | null;
    dg12: Record<string, string | string[]> | null;
    face_image: string | null;
    face: {
      record_format: ExtractedFace['record_format'];
      original_format: ExtractedFace['image_format'];
      width: number | null;
      height: number | null;
      /** True when the chip's JPEG2000 was decoded and re-encoded as JPEG for `face_image`. */
      transcoded: boolean;
      problem: string | null;
    } | null;
  };
  checks: Check[];
  face_match: unknown;
}

export interface VerifyOptions {
  trust: TrustStore;
  now: Date;
  document?: DocumentFields;
  /** Decode the DG2 face to a JPEG (skipped by the benchmark of passive authentication alone). */
  decodeFace?: boolean;
}

/** Removes Vietnamese diacritics and everything but A–Z, as the MRZ transliterates names. */
export function mrzName(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'D')
    .toUpperCase()
    .replace(/[^A-Z]+/g, ' ')
    .trim();
}

/** dd/mm/yyyy, ddmmyyyy or yyyy-mm-dd → yyyy-mm-dd; null if not a date. */
export function isoDate(s: string | null | undefined): string | null {
  if (!s) return null;
  const t = s.trim();
  let m = /^(\d{2})[/.-]?(\d{2})[/.-]?(\d{4})$/.exec(t);
  if (m) return `${m[3]}-${m[2]}-${m[1]}`;
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (m) return t;
  return null;
}

/** MRZ YYMMDD → yyyy-mm-dd, the century chosen relative to `pivotYear` (past for birth, future for expiry). */
function mrzDate(s: string | null, kind: 'birth' | 'expiry', now: Date): string | null {
  if (!s || !/^\d{6}$/.test(s)) return null;
  const yy = Number(s.slice(0, 2));
  const cur = now.getUTCFullYear();
  let year = 2000 + yy;
  if (kind === 'birth' && year > cur) year -= 100;
  if (kind === 'expiry' && year > cur + 50) year -= 100;
  return `${year}-${s.slice(2, 4)}-${s.slice(4, 6)}`;
}

function sexCode(s: string | null | undefined): 'M' | 'F' | null {
  if (!s) return null;
  const t = s.trim().toLowerCase().normalize('NFC');
  if (['nam', 'm', 'male'].includes(t)) return 'M';
  if (['nữ', 'nu', 'f', 'female'].includes(t)) return 'F';
  return null;
}

const cmp = (a: string | null, b: string | null): CheckStatus =>
  a === null || b === null ? 'not_applicable' : a === b ? 'pass' : 'fail';

function overall(fields: Record<string, CheckStatus>): CheckStatus {
  const v = Object.values(fields);
  if (v.includes('fail')) return 'fail';
  return v.includes('pass') ? 'pass' : 'not_applicable';
}

/** DG13 vs DG1: ID number (TD1 optional data / document number), name, birth, sex, expiry. */
export function dg13VsDg1(dg13: Dg13, mrz: MrzData, now: Date): Check {
  const id = dg13.id_number?.replace(/\D/g, '') ?? null;
  let idStatus: CheckStatus = 'not_applicable';
  if (id) {
    const inMrz = `${mrz.document_number ?? ''}|${mrz.optional_data ?? ''}|${mrz.personal_number ?? ''}`;
    idStatus =
      inMrz.includes(id) || (mrz.document_number !== null && id.endsWith(mrz.document_number))
        ? 'pass'
        : 'fail';
  }
  const mrzFull = mrzName(`${mrz.surname ?? ''} ${mrz.given_names ?? ''}`);
  const expiry =
    dg13.date_of_expiry && /không|khong/i.test(dg13.date_of_expiry) ? null : isoDate(dg13.date_of_expiry);
  const fields: Record<string, CheckStatus> = {
    id_number: idStatus,
    full_name:
      dg13.full_name && mrzFull ? (mrzName(dg13.full_name) === mrzFull ? 'pass' : 'fail') : 'not_applicable',
    date_of_birth: cmp(isoDate(dg13.date_of_birth), mrzDate(mrz.date_of_birth, 'birth', now)),
    sex: cmp(sexCode(dg13.sex), sexCode(mrz.sex)),
    date_of_expiry: cmp(expiry, mrzDate(mrz.date_of_expiry, 'expiry', now)),
  };
  return { code: 'DG13_MATCHES_DG1', status: overall(fields), fields };
}

/** Chip data vs the card's OCR/QR fields (same session). */
export function chipVsDocument(
  dg13: Dg13 | null,
  mrz: MrzData | null,
  doc: DocumentFields,
  now: Date,
): Check {
  const digits = (s: string | null | undefined) => (s ? s.replace(/\D/g, '') || null : null);
  const chipId =
    digits(dg13?.id_number) ?? (mrz?.optional_data ? digits(mrz.optional_data.slice(0, 12)) : null);
  const chipName = dg13?.full_name
    ? mrzName(dg13.full_name)
    : mrz
      ? mrzName(`${mrz.surname ?? ''} ${mrz.given_names ?? ''}`)
      : null;
  const chipBirth = isoDate(dg13?.date_of_birth) ?? mrzDate(mrz?.date_of_birth ?? null, 'birth', now);
  const chipSex = sexCode(dg13?.sex) ?? sexCode(mrz?.sex);
  const fields: Record<string, CheckStatus> = {
    id_number: cmp(chipId, digits(doc.id_number)),
    full_name: cmp(chipName || null, doc.full_name ? mrzName(doc.full_name) : null),
    date_of_birth: cmp(chipBirth, isoDate(doc.date_of_birth)),
    sex: cmp(chipSex, sexCode(doc.sex)),
  };
  if (dg13) {
    fields.old_id_number = cmp(digits(dg13.old_id_number), digits(doc.old_id_number));
    fields.date_of_issue = cmp(isoDate(dg13.date_of_issue), isoDate(doc.date_of_issue));
  }
  return { code: 'CHIP_MATCHES_DOCUMENT', status: overall(fields), fields };
}

/** Passive authentication, data group contents and cross-checks for one chip read. */
export async function verifyChip(files: ChipFiles, opts: VerifyOptions): Promise<ChipVerification> {
  const pa = await passiveAuthentication(files.sod, files.dataGroups, opts);
  const dg = files.dataGroups;
  const mrz = dg.has(1) ? parseDg1(dg.get(1)!) : null;
  const dg13 = dg.has(13) ? parseDg13(dg.get(13)!) : null;
  const extracted = dg.has(2) ? extractFace(dg.get(2)!) : null;
  let face: ChipVerification['data']['face'] = null;
  let faceImage: string | null = null;
  if (extracted) {
    if (opts.decodeFace !== false) {
      const shown = await faceForDisplay(extracted);
      faceImage = shown.jpeg ? shown.jpeg.toString('base64') : null;
      face = {
        record_format: shown.record_format,
        original_format: shown.image_format,
        width: shown.width,
        height: shown.height,
        transcoded: shown.jpeg !== null && shown.image_format === 'jpeg2000',
        problem: shown.problem,
      };
    } else {
      face = {
        record_format: extracted.record_format,
        original_format: extracted.image_format,
        width: extracted.width,
        height: extracted.height,
        transcoded: false,
        problem: null,
      };
    }
  }

  const checks: Check[] = [
    { code: 'SOD_SIGNATURE_VALID', status: pa.sod_signature === 'valid' ? 'pass' : 'fail' },
    { code: 'CHAIN_TRUSTED', status: pa.chain === 'trusted' ? 'pass' : 'fail' },
    {
      code: 'DATA_GROUP_HASHES_MATCH',
      status: pa.data_groups.some((d) => d.hash === 'mismatch')
        ? 'fail'
        : pa.data_groups.some((d) => d.hash === 'match')
          ? 'pass'
          : 'not_applicable',
    },
  ];
  if (mrz) checks.push({ code: 'DG1_CHECK_DIGITS', status: mrz.valid ? 'pass' : 'fail' });
  checks.push(
    dg13 && mrz ? dg13VsDg1(dg13, mrz, opts.now) : { code: 'DG13_MATCHES_DG1', status: 'not_applicable' },
  );
  if (opts.document) checks.push(chipVsDocument(dg13, mrz, opts.document, opts.now));

  return {
    passive_authentication: pa,
    data: {
      com: files.com ? parseCom(files.com) : null,
      mrz,
      dg13,
      dg11: dg.has(11) ? parseDg11(dg.get(11)!) : null,
      dg12: dg.has(12) ? parseDg12(dg.get(12)!) : null,
      face_image: faceImage,
      face,
    },
    checks,
    face_match: null,
  };
}
