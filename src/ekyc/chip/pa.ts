import * as pkijs from 'pkijs';
import { type ChipCertificate, crlInfo, isSignedBy, summary } from './cert.ts';
import { findSignerCertificate, parseSignedData, type SignedData, verifySignedData } from './cms.ts';
import { digest, HASH_OIDS, type HashName, signatureAlgorithm, verifySignature } from './crypto.ts';
import { chipError } from './errors.ts';
import { equalBytes, hex, oidString, parseOne, raw, smallInt, value } from './tlv.ts';

const LDS_SECURITY_OBJECT = '2.23.136.1.1.1';

export interface LdsSecurityObject {
  version: number;
  hashAlgorithm: HashName;
  hashes: Map<number, Uint8Array>;
  ldsVersion: string | null;
}

/** LDSSecurityObject v0/v1 (ICAO 9303-10 §4.6.2). */
export function parseLdsSecurityObject(content: Uint8Array): LdsSecurityObject {
  const seq = parseOne(content, { maxDepth: 8, maxNodes: 1_000 });
  const [verT, algT, hashesT, ldsT] = seq.children;
  if (
    seq.tag !== 0x30 ||
    !verT ||
    verT.tag !== 0x02 ||
    !algT?.children[0] ||
    !hashesT ||
    hashesT.tag !== 0x30
  ) {
    throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Bad LDSSecurityObject');
  }
  const hashAlgorithm = HASH_OIDS[oidString(algT.children[0])];
  if (!hashAlgorithm) throw chipError('ERR_CHIP_UNSUPPORTED_ALGORITHM', 'LDS hash algorithm');
  const hashes = new Map<number, Uint8Array>();
  for (const h of hashesT.children) {
    const [nT, vT] = h.children;
    if (!nT || !vT || nT.tag !== 0x02 || vT.tag !== 0x04)
      throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Bad DataGroupHash');
    const n = smallInt(nT);
    if (n < 1 || n > 16) throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Data group number out of range');
    hashes.set(n, value(vT));
  }
  const ldsVersion = ldsT?.children[0] ? Buffer.from(value(ldsT.children[0])).toString('latin1') : null;
  return { version: smallInt(verT), hashAlgorithm, hashes, ldsVersion };
}

/** Where CSCA certificates and CRLs come from (the database, or memory in tests and tools). */
export interface TrustStore {
  /** Candidate issuers of `cert`: by authority key identifier and/or issuer name. */
  findIssuers(cert: ChipCertificate): Promise<ChipCertificate[]>;
  /** CRLs issued by `csca` (DER). */
  crlsFor(csca: ChipCertificate): Promise<Uint8Array[]>;
}

export class MemoryTrustStore implements TrustStore {
  readonly cscas: ChipCertificate[] = [];
  readonly crls: Uint8Array[] = [];
  constructor(cscas: ChipCertificate[] = [], crls: Uint8Array[] = []) {
    this.cscas.push(...cscas);
    this.crls.push(...crls);
  }
  async findIssuers(cert: ChipCertificate) {
    return this.cscas.filter(
      (c) =>
        (cert.authorityKeyId && c.subjectKeyId === cert.authorityKeyId) || c.subjectKey === cert.issuerKey,
    );
  }
  async crlsFor() {
    return this.crls;
  }
}

export type ChainStatus = 'trusted' | 'issuer_not_trusted' | 'invalid' | 'expired';

export interface ChainResult {
  chain: ChainStatus;
  /** Stable reason: CSCA_NOT_FOUND, ISSUER_SIGNATURE_INVALID, REVOKED, SIGNER_EXPIRED, CSCA_EXPIRED, OK. */
  chain_detail: string;
  csca: ReturnType<typeof summary> | null;
  crl_checked: boolean;
}

interface Revocation {
  revoked: boolean;
  checked: boolean;
}

/** Checks `serialHex` against CRLs signed by `csca`; a CRL whose signature fails is ignored. */
async function checkCrls(
  crls: Uint8Array[],
  csca: ChipCertificate,
  serialHex: string,
  _now: Date,
): Promise<Revocation> {
  let checked = false;
  for (const der of crls) {
    try {
      const t = parseOne(der, { maxDepth: 12, maxNodes: 500_000 });
      const [tbsT, algT, sigT] = t.children;
      if (!tbsT || !algT || !sigT) continue;
      if (crlInfo(der).issuerKey !== csca.subjectKey) continue;
      const crl = pkijs.CertificateRevocationList.fromBER(der);
      const ok = await verifySignature(
        csca.publicKey,
        signatureAlgorithm(algT, 'sha256'),
        raw(tbsT),
        value(sigT).subarray(1),
      );
      if (!ok) continue;
      checked = true;
      for (const r of crl.revokedCertificates ?? []) {
        const s = hex(r.userCertificate.valueBlock.valueHexView).replace(/^(00)+(?=.)/, '');
        if (s === serialHex) return { revoked: true, checked: true };
      }
    } catch {
      // An unreadable CRL cannot revoke anything; it is reported as not checked.
    }
  }
  return { revoked: false, checked };
}

/** Chains `signer` to a CSCA of the trust store and applies validity periods and CRLs. */
export async function checkChain(
  signer: ChipCertificate,
  trust: TrustStore,
  now: Date,
  extraCrls: Uint8Array[] = [],
): Promise<ChainResult> {
  const candidates = await trust.findIssuers(signer);
  if (candidates.length === 0)
    return { chain: 'issuer_not_trusted', chain_detail: 'CSCA_NOT_FOUND', csca: null, crl_checked: false };
  let csca: ChipCertificate | undefined;
  for (const c of candidates) {
    if (await isSignedBy(signer, c)) {
      csca = c;
      break;
    }
  }
  if (!csca)
    return { chain: 'invalid', chain_detail: 'ISSUER_SIGNATURE_INVALID', csca: null, crl_checked: false };
  const rev = await checkCrls([...(await trust.crlsFor(csca)), ...extraCrls], csca, signer.serialHex, now);
  const base = { csca: summary(csca), crl_checked: rev.checked };
  if (rev.revoked) return { chain: 'invalid', chain_detail: 'REVOKED', ...base };
  if (now < signer.notBefore || now > signer.notAfter)
    return { chain: 'expired', chain_detail: 'SIGNER_EXPIRED', ...base };
  if (now < csca.notBefore || now > csca.notAfter)
    return { chain: 'expired', chain_detail: 'CSCA_EXPIRED', ...base };
  return { chain: 'trusted', chain_detail: 'OK', ...base };
}

export type DgHashStatus = 'match' | 'mismatch' | 'not_provided' | 'not_listed';

export interface PassiveAuthentication {
  sod_signature: 'valid' | 'invalid';
  sod_signature_detail: string;
  signer: {
    subject: string;
    issuer: string;
    valid_from: string;
    valid_to: string;
    country: string | null;
    serial_number: string;
    public_key: string;
  } | null;
  signer_identified_by: 'issuer_and_serial' | 'subject_key_identifier';
  chain: ChainStatus;
  chain_detail: string;
  csca: ReturnType<typeof summary> | null;
  crl_checked: boolean;
  data_groups: Array<{ dg: number; hash: DgHashStatus }>;
  hash_algorithm: HashName;
  signature_algorithm: string;
  lds_security_object_version: number;
  lds_version: string | null;
  /** Signature valid, chain trusted and every provided DG listed and matching. */
  passed: boolean;
}

export interface PaOptions {
  trust: TrustStore;
  now: Date;
}

/** ICAO 9303-11 §5.1 passive authentication of EF.SOD over the provided data groups (raw bytes by number). */
export async function passiveAuthentication(
  sodBytes: Uint8Array,
  dataGroups: Map<number, Uint8Array>,
  opts: PaOptions,
): Promise<PassiveAuthentication> {
  const sd: SignedData = parseSignedData(sodBytes);
  if (sd.contentType !== LDS_SECURITY_OBJECT)
    throw chipError('ERR_CHIP_SOD_STRUCTURE', 'Content is not an LDS security object');
  const lds = parseLdsSecurityObject(sd.content);
  const signer = findSignerCertificate(sd);
  if (!signer) throw chipError('ERR_CHIP_SOD_NO_SIGNER');
  const sig = await verifySignedData(sd, signer);
  const chain = await checkChain(signer, opts.trust, opts.now, sd.crls);

  const numbers = new Set<number>([...lds.hashes.keys(), ...dataGroups.keys()]);
  const data_groups = [...numbers]
    .sort((a, b) => a - b)
    .map((dg) => {
      const expected = lds.hashes.get(dg);
      const bytes = dataGroups.get(dg);
      let hash: DgHashStatus;
      if (!expected) hash = 'not_listed';
      else if (!bytes) hash = 'not_provided';
      else hash = equalBytes(digest(lds.hashAlgorithm, bytes), expected) ? 'match' : 'mismatch';
      return { dg, hash };
    });
  const provided = data_groups.filter((d) => dataGroups.has(d.dg));
  return {
    sod_signature: sig.valid ? 'valid' : 'invalid',
    sod_signature_detail: sig.reason ?? 'OK',
    signer: {
      subject: signer.subject,
      issuer: signer.issuer,
      valid_from: signer.notBefore.toISOString(),
      valid_to: signer.notAfter.toISOString(),
      country: signer.country,
      serial_number: signer.serialHex,
      public_key:
        signer.publicKey.kind === 'rsa' ? `RSA-${signer.publicKey.bits}` : `EC-${signer.publicKey.curveName}`,
    },
    signer_identified_by: 'ski' in sd.signer.sid ? 'subject_key_identifier' : 'issuer_and_serial',
    ...chain,
    data_groups,
    hash_algorithm: lds.hashAlgorithm,
    signature_algorithm: sd.signer.signatureAlgorithm.name,
    lds_security_object_version: lds.version,
    lds_version: lds.ldsVersion,
    passed:
      sig.valid &&
      chain.chain === 'trusted' &&
      provided.length > 0 &&
      provided.every((d) => d.hash === 'match'),
  };
}
