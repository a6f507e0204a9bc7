/**
 * `npm run keys:rotate`: re-wraps every data key with the current master key (`EKYC_MASTER_KEY`),
 * opening those wrapped by `EKYC_MASTER_KEY_PREVIOUS`. Runs while the service serves; idempotent.
 * `--data-keys` also gives every owner a fresh data key for new data (old data keeps opening).
 * Exit code 1 when some data key could be opened by neither master key.
 */
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../db/client.ts';
import { systemClock } from '../clock.ts';
import { createEnvelope, masterKeyId } from './envelope.ts';
import { resolveKeyring } from './keys.ts';

const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
try {
  const keyring = await resolveKeyring(config);
  const envelope = createEnvelope({ db, keyring, clock: systemClock });
  if (process.argv.includes('--data-keys')) {
    const owners = await db.query<{ owner: string }>(
      `SELECT DISTINCT owner FROM data_keys WHERE status = 'active'`,
    );
    for (const { owner } of owners) await envelope.rotateDataKey(owner);
    console.log(`New data keys for ${owners.length} owners.`);
  }
  const result = await envelope.rewrapAll();
  console.log(
    `Master key ${masterKeyId(keyring.current)}: ${result.rewrapped} data keys re-wrapped, ${result.alreadyCurrent} already current.`,
  );
  if (result.unreadable.length > 0) {
    console.error(
      `${result.unreadable.length} data keys are wrapped by a master key not configured (set EKYC_MASTER_KEY_PREVIOUS): ${result.unreadable.slice(0, 10).join(', ')}`,
    );
    process.exitCode = 1;
  }
} finally {
  await db.close();
}
