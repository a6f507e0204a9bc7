import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import {
  type HashName,
  type PublicKey,
  parsePublicKey,
  type SignatureAlgorithm,
  signatureAlgorithm,
  verifySignature,
} from './crypto.ts';
import { chipError } from './errors.ts';
import { hex, parseOne, raw, type Tlv, utf8, value } from './tlv.ts';

/** What the verifier needs from an X.509 certificate: raw parts for signatures, names for people. */
export interface ChipCertificate {
  der: Uint8Array;
  tbs: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
  publicKey: PublicKey;
  serialHex: string;
  /** Raw DER of the issuer and subject Names (for issuer+serial matching). */
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  issuer: string;
  subject: string;
  /** Case- and whitespace-insensitive name key; survives PrintableString vs UTF8String re-encodings. */
  issuerKey: string;
  subjectKey: string;
  country: string | null;
  notBefore: Date;
  notAfter: Date;
  subjectKeyId: string | null;
  authorityKeyId: string | null;
  isCa: boolean;
  fingerprint: string;
}

const ATTR_NAMES: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function nameParts(name: pkijs.RelativeDistinguishedNames): Array<[string, string]> {
  return name.typesAndValues.map((tv) => {
    const block = tv.value.valueBlock as { value?: unknown; valueHexView?: Uint8Array };
    const v =
      typeof block.value === 'string' ? block.value : block.valueHexView ? utf8(block.valueHexView) : '';
    return [ATTR_NAMES[tv.type] ?? tv.type, v];
  });
}

const nameString = (parts: Array<[string, string]>) => parts.map(([k, v]) => `${k}=${v}`).join(', ');
const nameKey = (parts: Array<[string, string]>) =>
  parts.map(([k, v]) => `${k}=${v.trim().replace(/\s+/g, ' ').toLowerCase()}`).join('|');

/** Parses a DER (or BER) certificate; `fallbackHash` is unused for normal X.509 signature OIDs. */
export function parseCertificate(bytes: Uint8Array, fallbackHash: HashName = 'sha256'): ChipCertificate {
  const t = parseOne(bytes, { maxDepth: 24, maxNodes: 20_000 });
  return certificateFromTlv(t, fallbackHash);
}

export function certificateFromTlv(t: Tlv, fallbackHash: HashName = 'sha256'): ChipCertificate {
  const [tbsT, algT, sigT] = t.children;
  if (t.tag !== 0x30 || !tbsT || !algT || !sigT || sigT.tag !== 0x03 || tbsT.tag !== 0x30) {
    throw chipError('ERR_CHIP_CERTIFICATE', 'Not an X.509 certificate');
  }
  // TBSCertificate: [0] version?, serial, signature alg, issuer, validity, subject, spki, …
  const tbsKids = tbsT.children[0]?.tag === 0xa0 ? tbsT.children.slice(1) : tbsT.children;
  const [serialT, , issuerT, , subjectT, spkiT] = tbsKids;
  if (!serialT || !issuerT || !subjectT || !spkiT)
    throw chipError('ERR_CHIP_CERTIFICATE', 'Incomplete TBSCertificate');
  const der = raw(t);
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(der);
  } catch {
    throw chipError('ERR_CHIP_CERTIFICATE');
  }
  const issuerParts = nameParts(cert.issuer);
  const subjectParts = nameParts(cert.subject);
  let ski: string | null = null;
  let aki: string | null = null;
  let isCa = false;
  for (const ext of cert.extensions ?? []) {
    try {
      if (ext.extnID === '2.5.29.14') {
        ski = hex((ext.parsedValue as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView);
      } else if (ext.extnID === '2.5.29.35') {
        const id = (ext.parsedValue as pkijs.AuthorityKeyIdentifier).keyIdentifier;
        if (id) aki = hex(id.valueBlock.valueHexView);
      } else if (ext.extnID === '2.5.29.19') {
        isCa = Boolean((ext.parsedValue as pkijs.BasicConstraints).cA);
      }
    } catch {
      // An unreadable optional extension is ignored, as RFC 5280 allows for non-critical ones.
    }
  }
  const country =
    subjectParts.find(([k]) => k === 'C')?.[1] ?? issuerParts.find(([k]) => k === 'C')?.[1] ?? null;
  return {
    der,
    tbs: raw(tbsT),
    signatureAlgorithm: signatureAlgorithm(algT, fallbackHash),
    signature: value(sigT).subarray(1),
    publicKey: parsePublicKey(spkiT),
    serialHex: hex(value(serialT)).replace(/^(00)+(?=.)/, ''),
    issuerDer: raw(issuerT),
    subjectDer: raw(subjectT),
    issuer: nameString(issuerParts),
    subject: nameString(subjectParts),
    issuerKey: nameKey(issuerParts),
    subjectKey: nameKey(subjectParts),
    country: country ? country.toUpperCase() : null,
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    subjectKeyId: ski,
    authorityKeyId: aki,
    isCa,
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}

/** Checks that `issuer`'s key signed `cert`. */
export function isSignedBy(cert: ChipCertificate, issuer: ChipCertificate): Promise<boolean> {
  return verifySignature(issuer.publicKey, cert.signatureAlgorithm, cert.tbs, cert.signature);
}

/** Accepts DER or PEM ("-----BEGIN CERTIFICATE-----"), returns DER blobs. */
export function pemOrDer(bytes: Uint8Array): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (!text.includes('-----BEGIN')) return [bytes];
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    out.push(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

export function summary(c: ChipCertificate) {
  return {
    subject: c.subject,
    issuer: c.issuer,
    serial_number: c.serialHex,
    valid_from: c.notBefore.toISOString(),
    valid_to: c.notAfter.toISOString(),
    country: c.country,
    subject_key_identifier: c.subjectKeyId,
    fingerprint_sha256: c.fingerprint,
    public_key: c.publicKey.kind === 'rsa' ? `RSA-${c.publicKey.bits}` : `EC-${c.publicKey.curveName}`,
  };
}

/** Issuer name key and dates of a CRL, in the same normalised form as certificate names. */
export function crlInfo(der: Uint8Array): { issuerKey: string; thisUpdate: Date; nextUpdate: Date | null } {
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(der);
  } catch {
    throw chipError('ERR_CHIP_CRL');
  }
  return {
    issuerKey: nameKey(nameParts(crl.issuer)),
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value ?? null,
  };
}
