import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Clock } from '../lib/clock.ts';
import type { ApiKeyService } from '../modules/accounts/api-keys.service.ts';
import type { AuthService } from '../modules/accounts/auth.service.ts';
import type { Metrics } from '../modules/health/metrics.ts';
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
  readiness: Map<string, ReadinessCheck>;
}
