import { AppError } from '../../http/errors.ts';
import {
  type ChipCertificate,
  certificateFromTlv,
  isSignedBy,
  parseCertificate,
  pemOrDer,
  summary,
} from './cert.ts';
import { findSignerCertificate, parseSignedData, verifySignedData } from './cms.ts';
import { chipError } from './errors.ts';
import { oidString, parseOne } from './tlv.ts';

const CSCA_MASTER_LIST = '2.23.136.1.1.2';

export interface MasterList {
  certificates: ChipCertificate[];
  /** Certificates in the list that could not be parsed (unsupported curve, broken DER). */
  skipped: number;
  signer: ReturnType<typeof summary>;
  /** How the list signer's own certificate is vouched for. */
  signer_chain: 'trusted' | 'in_list' | 'not_verified';
}

/**
 * Reads an ICAO CSCA master list (CMS SignedData over CscaMasterList) and verifies its own
 * signature. The list signer must chain to a CSCA already trusted (`trusted`) or to one of the
 * list's own CSCAs (`in_list`); otherwise the list is refused.
 */
export type IssuerLookup = ChipCertificate[] | ((cert: ChipCertificate) => Promise<ChipCertificate[]>);

export async function readMasterList(bytes: Uint8Array, trusted: IssuerLookup = []): Promise<MasterList> {
  let sd: ReturnType<typeof parseSignedData>;
  try {
    sd = parseSignedData(bytes);
  } catch (e) {
    if (e instanceof AppError && e.code.startsWith('ERR_CHIP_ASN1')) throw e;
    throw chipError('ERR_CHIP_MASTER_LIST', e instanceof AppError ? (e.detail ?? e.title) : undefined);
  }
  if (sd.contentType !== CSCA_MASTER_LIST)
    throw chipError('ERR_CHIP_MASTER_LIST', 'Content is not a CscaMasterList');
  const list = parseOne(sd.content, { maxDepth: 24, maxNodes: 5_000_000 });
  const set = list.children[1];
  if (list.tag !== 0x30 || !set || set.tag !== 0x31)
    throw chipError('ERR_CHIP_MASTER_LIST', 'Bad CscaMasterList');
  const certificates: ChipCertificate[] = [];
  let skipped = 0;
  for (const c of set.children) {
    try {
      certificates.push(certificateFromTlv(c));
    } catch {
      skipped++;
    }
  }
  const signer = findSignerCertificate(sd);
  if (!signer) throw chipError('ERR_CHIP_MASTER_LIST', 'No list signer certificate');
  const sig = await verifySignedData(sd, signer);
  if (!sig.valid) throw chipError('ERR_CHIP_MASTER_LIST', `List signature: ${sig.reason}`);
  const alreadyTrusted = Array.isArray(trusted) ? trusted : await trusted(signer);
  let signer_chain: MasterList['signer_chain'] = 'not_verified';
  for (const [pool, label] of [
    [alreadyTrusted, 'trusted'],
    [certificates, 'in_list'],
  ] as const) {
    for (const ca of pool) {
      if (
        (signer.authorityKeyId && ca.subjectKeyId === signer.authorityKeyId) ||
        ca.subjectKey === signer.issuerKey
      ) {
        if (await isSignedBy(signer, ca)) {
          signer_chain = label;
          break;
        }
      }
    }
    if (signer_chain !== 'not_verified') break;
  }
  if (signer_chain === 'not_verified')
    throw chipError('ERR_CHIP_MASTER_LIST', 'The list signer does not chain to a CSCA');
  return { certificates, skipped, signer: summary(signer), signer_chain };
}

export type TrustUpload =
  | { kind: 'certificates'; certificates: ChipCertificate[] }
  | { kind: 'master_list'; list: MasterList };

/** A DER/PEM certificate (or several PEM blocks) or a CMS master list, told apart by content. */
export async function readTrustUpload(
  bytes: Uint8Array,
  alreadyTrusted: IssuerLookup = [],
): Promise<TrustUpload> {
  const blobs = pemOrDer(bytes);
  if (blobs.length === 0) throw chipError('ERR_CHIP_CERTIFICATE', 'No PEM block found');
  const first = blobs[0]!;
  const root = parseOne(first, { maxDepth: 24, maxNodes: 5_000_000 });
  const head = root.children[0];
  if (
    blobs.length === 1 &&
    root.tag === 0x30 &&
    head?.tag === 0x06 &&
    oidString(head) === '1.2.840.113549.1.7.2'
  ) {
    return { kind: 'master_list', list: await readMasterList(first, alreadyTrusted) };
  }
  return { kind: 'certificates', certificates: blobs.map((b) => parseCertificate(b)) };
}
