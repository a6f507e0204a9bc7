import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Clock } from '../lib/clock.ts';
import type { ApiKeyService } from '../modules/accounts/api-keys.service.ts';
import type { AuthService } from '../modules/accounts/auth.service.ts';
import type { Metrics } from '../modules/health/metrics.ts';
import type { Notifier } from '../modules/notify/notify.service.ts';
import type { Guards } from './auth.ts';

/** A named readiness check (database, migrations, models); `/health/ready` runs them all. */
export type ReadinessCheck = () => Promise<{ ok: boolean; detail?: string }>;

/** What route modules receive: shared services, built once in `buildApp`. */
export interface AppContext {
  config: Config;
  db: Db;
  clock: Clock;
  guards: Guards;
  auth: AuthService;
  apiKeys: ApiKeyService;
  metrics: Metrics;
  /** Emails and letters: queue them inside the transaction of the change that causes them. */
  notifier: Notifier;
  /** Background jobs; `null` until `main.ts` starts the queue (and in most tests). */
  queue: JobQueue | null;
  readiness: Map<string, ReadinessCheck>;
}
