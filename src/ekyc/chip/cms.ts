import { type ChipCertificate, certificateFromTlv } from './cert.ts';
import {
  digest,
  HASH_OIDS,
  type HashName,
  type SignatureAlgorithm,
  signatureAlgorithm,
  verifySignature,
} from './crypto.ts';
import { chipError } from './errors.ts';
import { equalBytes, hex, octets, oidString, parseOne, type Tlv, toDer, value } from './tlv.ts';

const SIGNED_DATA = '1.2.840.113549.1.7.2';
const ATTR_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const ATTR_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const ATTR_SIGNING_TIME = '1.2.840.113549.1.9.5';

export interface SignedData {
  contentType: string;
  content: Uint8Array;
  certificates: ChipCertificate[];
  /** Raw CRLs carried in the SignedData (rare in SODs). */
  crls: Uint8Array[];
  signer: SignerInfo;
}

export interface SignerInfo {
  sid: { issuerDer: Uint8Array; serialHex: string } | { ski: string };
  digestAlgorithm: HashName;
  signatureAlgorithm: SignatureAlgorithm;
  /** DER of the signed attributes re-tagged as SET (what is signed), or undefined (then content is signed). */
  signedAttrs: Uint8Array | undefined;
  messageDigest: Uint8Array | undefined;
  contentTypeAttr: string | undefined;
  signingTime: Date | undefined;
  signature: Uint8Array;
}

/**
 * Reads a CMS ContentInfo/SignedData in BER or DER, optionally wrapped in an application tag
 * (EF.SOD is `77 … 30 …`). Indefinite lengths and constructed OCTET STRINGs are accepted.
 */
export function parseSignedData(bytes: Uint8Array): SignedData {
  let root = parseOne(bytes);
  if (root.tag === 0x77) {
    const inner = root.children[0];
    if (!inner) throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Empty EF.SOD');
    root = inner;
  }
  const [typeT, explicit] = root.children;
  if (root.tag !== 0x30 || !typeT || typeT.tag !== 0x06 || oidString(typeT) !== SIGNED_DATA || !explicit) {
    throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Not a CMS SignedData');
  }
  const sd = explicit.children[0];
  if (explicit.tag !== 0xa0 || !sd || sd.tag !== 0x30)
    throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Bad SignedData wrapper');
  const kids = sd.children;
  const encap = kids[2];
  if (encap?.tag !== 0x30 || !encap.children[0])
    throw chipError('ERR_CHIP_SOD_STRUCTURE', 'No encapsulated content');
  const contentType = oidString(encap.children[0]);
  const eContentWrapper = encap.children[1];
  const eContent = eContentWrapper?.children[0];
  if (eContentWrapper?.tag !== 0xa0 || !eContent || (eContent.tag !== 0x04 && eContent.tag !== 0x24)) {
    throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Detached or missing content');
  }
  const content = octets(eContent);

  let certificates: ChipCertificate[] = [];
  const crls: Uint8Array[] = [];
  let signerInfos: Tlv | undefined;
  for (const k of kids.slice(3)) {
    if (k.tag === 0xa0)
      certificates = k.children.filter((c) => c.tag === 0x30).map((c) => certificateFromTlv(c));
    else if (k.tag === 0xa1) for (const c of k.children) crls.push(toDer(c));
    else if (k.tag === 0x31) signerInfos = k;
  }
  const si = signerInfos?.children[0];
  if (si?.tag !== 0x30) throw chipError('ERR_CHIP_SOD_STRUCTURE', 'No SignerInfo');
  return { contentType, content, certificates, crls, signer: parseSignerInfo(si) };
}

function parseSignerInfo(si: Tlv): SignerInfo {
  const [, sidT, digAlgT, ...rest] = si.children;
  if (!sidT || !digAlgT?.children[0]) throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Incomplete SignerInfo');
  let sid: SignerInfo['sid'];
  if (sidT.tag === 0x30) {
    const [issuer, serial] = sidT.children;
    if (!issuer || !serial) throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Bad IssuerAndSerialNumber');
    sid = { issuerDer: toDer(issuer), serialHex: hex(value(serial)).replace(/^(00)+(?=.)/, '') };
  } else if (sidT.tag === 0x80 || sidT.tag === 0xa0) {
    sid = { ski: hex(sidT.tag === 0x80 ? value(sidT) : value(sidT.children[0] ?? sidT)) };
  } else throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Unknown signer identifier');
  const digestAlgorithm = HASH_OIDS[oidString(digAlgT.children[0])];
  if (!digestAlgorithm) throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', 'Signer digest algorithm');
  let i = 0;
  let signedAttrs: Uint8Array | undefined;
  let messageDigest: Uint8Array | undefined;
  let contentTypeAttr: string | undefined;
  let signingTime: Date | undefined;
  const attrsT = rest[0]?.tag === 0xa0 ? rest[0] : undefined;
  if (attrsT) {
    i = 1;
    signedAttrs = toDer(attrsT, 0x31);
    for (const attr of attrsT.children) {
      const [oidT, valuesT] = attr.children;
      if (oidT?.tag !== 0x06 || !valuesT) continue;
      const oid = oidString(oidT);
      const v = valuesT.children[0];
      if (!v) continue;
      if (oid === ATTR_MESSAGE_DIGEST) messageDigest = octets(v);
      else if (oid === ATTR_CONTENT_TYPE && v.tag === 0x06) contentTypeAttr = oidString(v);
      else if (oid === ATTR_SIGNING_TIME) signingTime = parseTime(v);
    }
  }
  const sigAlgT = rest[i];
  const sigT = rest[i + 1];
  if (!sigAlgT || !sigT || sigT.tag !== 0x04)
    throw chipError('ERR_CHIP_SOD_STRUCTURE', 'No signature in SignerInfo');
  return {
    sid,
    digestAlgorithm,
    signatureAlgorithm: signatureAlgorithm(sigAlgT, digestAlgorithm),
    signedAttrs,
    messageDigest,
    contentTypeAttr,
    signingTime,
    signature: octets(sigT),
  };
}

function parseTime(t: Tlv): Date | undefined {
  const s = Buffer.from(value(t)).toString('latin1');
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?/.exec(s);
  if (!m) return undefined;
  let year = Number(m[1]);
  if (m[1]!.length === 2) year += year < 50 ? 2000 : 1900;
  const d = new Date(
    Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)),
  );
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The certificate named by the SignerInfo: issuer+serial (name compared leniently) or subject key identifier. */
export function findSignerCertificate(
  sd: SignedData,
  extra: ChipCertificate[] = [],
): ChipCertificate | undefined {
  const all = [...sd.certificates, ...extra];
  const sid = sd.signer.sid;
  if ('ski' in sid) return all.find((c) => c.subjectKeyId === sid.ski);
  return (
    all.find((c) => c.serialHex === sid.serialHex && equalBytes(c.issuerDer, sid.issuerDer)) ??
    all.find((c) => c.serialHex === sid.serialHex)
  );
}

export interface SignatureCheck {
  valid: boolean;
  /** Why not, as a stable code: MESSAGE_DIGEST_MISMATCH, CONTENT_TYPE_MISMATCH, SIGNATURE_INVALID. */
  reason?: string;
}

/** Verifies the SignerInfo over the content (through the signed attributes when present). */
export async function verifySignedData(sd: SignedData, signer: ChipCertificate): Promise<SignatureCheck> {
  const s = sd.signer;
  let signedBytes = sd.content;
  if (s.signedAttrs) {
    if (!s.messageDigest || !equalBytes(s.messageDigest, digest(s.digestAlgorithm, sd.content))) {
      return { valid: false, reason: 'MESSAGE_DIGEST_MISMATCH' };
    }
    if (s.contentTypeAttr && s.contentTypeAttr !== sd.contentType)
      return { valid: false, reason: 'CONTENT_TYPE_MISMATCH' };
    signedBytes = s.signedAttrs;
  }
  const ok = await verifySignature(signer.publicKey, s.signatureAlgorithm, signedBytes, s.signature);
  return ok ? { valid: true } : { valid: false, reason: 'SIGNATURE_INVALID' };
}
