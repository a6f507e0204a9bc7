import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../clock.ts';
import { resolveMasterKey } from '../storage/blob-store.ts';
import { createEnvelope, type Envelope, type MasterKeyring } from './envelope.ts';

/**
 * The master keys from config: `EKYC_MASTER_KEY` (or the key file in the data directory) wraps,
 * `EKYC_MASTER_KEY_PREVIOUS` still unwraps during a rotation.
 *
 * Rotation without downtime: 1. restart every process with the new key in `EKYC_MASTER_KEY` and the
 * old one in `EKYC_MASTER_KEY_PREVIOUS` (both open everything; new keys wrap with the new one);
 * 2. `npm run keys:rotate` re-wraps every data key; 3. drop `EKYC_MASTER_KEY_PREVIOUS`.
 */
export async function resolveKeyring(
  config: Pick<Config, 'masterKey' | 'masterKeyPrevious' | 'dataDir'>,
): Promise<MasterKeyring> {
  const current = await resolveMasterKey({ masterKey: config.masterKey, dataDir: config.dataDir });
  const previous =
    config.masterKeyPrevious && !config.masterKeyPrevious.equals(current) ? [config.masterKeyPrevious] : [];
  return { current, previous };
}

const envelopes = new WeakMap<Db, Promise<Envelope>>();

/** One envelope per database per process, so the data-key cache is shared by every module. */
export function envelopeFor(deps: {
  config: Pick<Config, 'masterKey' | 'masterKeyPrevious' | 'dataDir'>;
  db: Db;
  clock: Clock;
}): Promise<Envelope> {
  let e = envelopes.get(deps.db);
  if (!e) {
    e = resolveKeyring(deps.config).then((keyring) =>
      createEnvelope({ db: deps.db, keyring, clock: deps.clock }),
    );
    envelopes.set(deps.db, e);
  }
  return e;
}
