/**
 * `npm run audit:verify`: checks the audit log's hash chain on the configured database.
 * Exit code 0 when intact, 1 with the first broken entry's id otherwise.
 */
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../db/client.ts';
import { verifyAuditChain } from './audit.ts';

const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
try {
  const result = await verifyAuditChain(db);
  if (result.ok) {
    console.log(`Audit log intact: ${result.checked} entries verified.`);
  } else {
    console.error(`Audit log BROKEN at entry ${result.brokenAt} (after ${result.checked} good entries).`);
    process.exitCode = 1;
  }
} finally {
  await db.close();
}
