import { fromPglite, PgBoss } from 'pg-boss';
import type { Database } from '../db/client.ts';

/**
 * A background job: at-least-once, so `handle` must be idempotent (re-running it changes nothing
 * already done). `cron` runs it on a schedule in Asia/Ho_Chi_Minh time.
 */
export interface JobDefinition<T extends object = object> {
  name: string;
  cron?: string;
  handle(data: T): Promise<void>;
}

export interface JobQueue {
  send(
    name: string,
    data?: object,
    opts?: { singletonKey?: string; startAfter?: Date },
  ): Promise<string | null>;
  stop(): Promise<void>;
}

/** pg-boss on the same database as the data: on PostgreSQL through its own pool, on PGlite in-process. */
export async function startJobQueue(
  db: Database,
  jobs: JobDefinition[],
  onError: (err: unknown) => void,
): Promise<JobQueue> {
  const boss =
    db.raw.engine === 'pglite'
      ? new PgBoss({ db: fromPglite(db.raw.pglite), backend: 'pglite', schema: 'pgboss' })
      : new PgBoss({
          connectionString: db.raw.url,
          max: Math.max(2, Math.ceil(db.raw.poolSize / 2)),
          schema: 'pgboss',
        });
  boss.on('error', onError);
  await boss.start();
  for (const job of jobs) {
    await boss.createQueue(job.name);
    await boss.work<object>(job.name, { pollingIntervalSeconds: 1 }, async ([first, ...rest]) => {
      for (const j of [first, ...rest]) if (j) await job.handle(j.data);
    });
    if (job.cron) await boss.schedule(job.name, job.cron, {}, { tz: 'Asia/Ho_Chi_Minh' });
  }
  return {
    send: (name, data = {}, opts = {}) => boss.send(name, data, opts),
    stop: () => boss.stop({ graceful: true, timeout: 15_000 }),
  };
}
