import type { Db } from '../../db/client.ts';
import { type ChipCertificate, parseCertificate, pemOrDer, summary } from '../../ekyc/chip/cert.ts';
import { chipError } from '../../ekyc/chip/errors.ts';
import { readMasterList, readTrustUpload } from '../../ekyc/chip/masterlist.ts';
import { type ChipVerification, type DocumentFields, verifyChip } from '../../ekyc/chip/verify.ts';
import { compareImages } from '../../ekyc/face/engine.ts';
import type { Clock } from '../../lib/clock.ts';
import { type Actor, recordAudit } from '../audit/audit.ts';
import { dbTrustStore, insertCrl, insertCscas, listCscas } from './chip.repo.ts';

export const CHIP_FILE_NAMES = ['com', 'sod', ...Array.from({ length: 16 }, (_, i) => `dg${i + 1}`)] as const;

export interface VerifyRequest {
  sod: string;
  selfie?: string;
  document?: DocumentFields;
  [file: string]: unknown;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Strict base64 (standard or URL alphabet, whitespace ignored). */
export function decodeBase64(field: string, s: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  if (t.length === 0 || !BASE64.test(t) || t.replace(/=+$/, '').length % 4 === 1) {
    throw chipError('ERR_CHIP_NOT_BASE64', `Field ${field} is not base64`, {
      errors: [{ path: `body.${field}`, message: 'not base64' }],
    });
  }
  return new Uint8Array(Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

export function createChipService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const trust = dbTrustStore(db);

  return {
    async verify(body: VerifyRequest): Promise<ChipVerification> {
      const dataGroups = new Map<number, Uint8Array>();
      for (let n = 1; n <= 16; n++) {
        const v = body[`dg${n}`];
        if (typeof v === 'string') dataGroups.set(n, decodeBase64(`dg${n}`, v));
      }
      const sod = decodeBase64('sod', body.sod);
      const com = typeof body.com === 'string' ? decodeBase64('com', body.com) : undefined;
      const selfie = body.selfie ? Buffer.from(decodeBase64('selfie', body.selfie)) : undefined;
      const result = await verifyChip(
        { sod, com, dataGroups },
        { trust, now: clock.now(), document: body.document, decodeFace: true },
      );
      if (selfie && result.data.face_image) {
        result.face_match = await compareImages(selfie, Buffer.from(result.data.face_image, 'base64'));
      }
      return result;
    },

    async install(data: string, type: 'auto' | 'certificate' | 'master_list' | 'crl', actor: Actor) {
      const bytes = data.includes('-----BEGIN')
        ? new Uint8Array(Buffer.from(data, 'latin1'))
        : decodeBase64('data', data);
      if (type === 'crl') {
        const blobs = pemOrDer(bytes);
        let added = 0;
        for (const b of blobs) if (await insertCrl(db, b, actor.id)) added++;
        await recordAudit(db, actor, {
          action: 'chip.crl.install',
          entityType: 'chip_crl',
          details: { added },
        });
        return {
          kind: 'crl' as const,
          installed: added,
          already_present: blobs.length - added,
          certificates: [],
          master_list: null,
        };
      }
      const existing = (c: ChipCertificate) => trust.findIssuers(c);
      let certificates: ChipCertificate[];
      let masterList: Awaited<ReturnType<typeof readMasterList>> | null = null;
      if (type === 'master_list') {
        masterList = await readMasterList(pemOrDer(bytes)[0] ?? bytes, existing);
        certificates = masterList.certificates;
      } else if (type === 'certificate') {
        certificates = pemOrDer(bytes).map((b) => parseCertificate(b));
      } else {
        const up = await readTrustUpload(bytes, existing);
        if (up.kind === 'master_list') {
          masterList = up.list;
          certificates = up.list.certificates;
        } else certificates = up.certificates;
      }
      if (certificates.length === 0) throw chipError('ERR_CHIP_CERTIFICATE', 'No certificate to install');
      const source = masterList ? 'master_list' : 'certificate';
      const added = await db.transaction(async (tx) => {
        const n = await insertCscas(tx, certificates, source, actor.id);
        await recordAudit(tx, actor, {
          action: 'chip.csca.install',
          entityType: 'chip_csca',
          details: { source, added: n, total: certificates.length },
        });
        return n;
      });
      return {
        kind: source,
        installed: added,
        already_present: certificates.length - added,
        certificates: certificates.slice(0, 50).map(summary),
        master_list: masterList
          ? { signer: masterList.signer, signer_chain: masterList.signer_chain, skipped: masterList.skipped }
          : null,
      };
    },

    list: (opts: { country?: string; limit: number; offset: number }) => listCscas(db, opts),
  };
}
