import { mkdir } from 'node:fs/promises';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { type SeedReport, seed } from './db/seed.ts';
import { jobDefinitions } from './jobs/index.ts';
import { startJobQueue } from './jobs/queue.ts';
import { systemClock } from './lib/clock.ts';
import { createLogger } from './logger.ts';
import { publicApiOf } from './modules/sessions/sessions.routes.ts';

function printBanner(url: string, engine: string, report: SeedReport) {
  const lines = [
    '',
    `  MobiFone eKYC đang chạy / is running — ${engine}`,
    `  Cổng thông tin / Portal:   ${url}/`,
    `  Tài liệu API / API docs:   ${url}/docs`,
    '',
    '  Đăng nhập / Logins:',
    ...report.logins.map(
      (l) => `    ${l.role.padEnd(15)} ${l.email.padEnd(24)} ${l.password ?? '(unchanged)'}   ${l.note}`,
    ),
  ];
  if (report.demoCustomerId) {
    lines.push(
      '',
      report.demoApiKey
        ? `  Demo API key (${report.demoCustomerId}): ${report.demoApiKey}`
        : `  Demo API key: issued at first start and shown once (set EKYC_DEMO_API_KEY to fix it)`,
      `  Try: curl -H "Authorization: Bearer <key>" ${url}/v1/me`,
    );
  }
  console.log(`${lines.join('\n')}\n`);
}

async function main() {
  const started = performance.now();
  const config = loadConfig();
  const logger = createLogger(config);
  if (!config.databaseUrl) await mkdir(config.dataDir, { recursive: true });
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
  });
  const applied = await migrate(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const report = await seed(db, config, systemClock);
  const { app, ctx } = await buildApp({ config, db, logger });
  const upgraded = await publicApiOf(ctx).sessions.upgradeLegacyData();
  if (upgraded.subjectRefs || upgraded.templates)
    logger.info(upgraded, 'legacy personal data keyed and sealed');
  ctx.queue = await startJobQueue(db, jobDefinitions(ctx), (err) => logger.error({ err }, 'job queue error'));
  // Deliveries due at start (e.g. left by a killed process whose claim lapsed) go out now, not at the next cron tick.
  await ctx.queue.send('webhooks-deliver', {});
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.publicUrl.replace(/:\d+$/, `:${port}`);
  logger.info({ ms: Math.round(performance.now() - started), port }, 'ready');
  printBanner(url, db.engine === 'pglite' ? `PGlite (${config.dataDir}/db)` : 'PostgreSQL', report);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    try {
      // A keep-alive connection whose last request finishes after the stop began would otherwise stay
      // open until it times out: close each one as soon as it is idle (new requests are refused).
      const idle = setInterval(() => app.server.closeIdleConnections(), 50);
      await app.close();
      clearInterval(idle);
      logger.info('http closed: every accepted request answered');
      await ctx.queue?.stop();
      logger.info('job queue stopped');
      await db.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
