import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildApp } from '../../src/app.ts';
import type { Database } from '../../src/db/client.ts';
import { type SeedReport, seed } from '../../src/db/seed.ts';
import type { AppContext } from '../../src/http/context.ts';
import { jobDefinitions } from '../../src/jobs/index.ts';
import { startJobQueue } from '../../src/jobs/queue.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { testConfig } from '../app.ts';
import { freshDatabase } from '../db.ts';
import { writeY4m } from './media.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const DIST = path.join(REPO, 'web/dist');
export const OUTPUT = path.join(REPO, 'test-output/e2e');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags every run uses (see ARCHITECTURE.md): no network side channels, no GPU, no sandbox. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Builds the portal once if `npm install` has not (the `prepare` script normally does). */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(path.join(DIST, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ root: path.join(REPO, 'web'), logLevel: 'warn' });
  if (!existsSync(path.join(DIST, 'index.html')))
    throw new Error(`vite build did not produce ${DIST}/index.html`);
}

export interface Server {
  url: string;
  app: FastifyInstance;
  ctx: AppContext;
  db: Database;
  seed: SeedReport;
  close(): Promise<void>;
}

/** The real app on a loopback port with a fresh seeded PGlite and the real clock (cookies expire for real). */
export async function startServer(
  opts: { env?: Record<string, string>; jobs?: boolean } = {},
): Promise<Server> {
  await ensureBuilt();
  const db = await freshDatabase('pglite');
  const config = testConfig({ COOKIE_SECURE: 'false', ...opts.env });
  const report = await seed(db, config, systemClock);
  const { app, ctx } = await buildApp({ config, db });
  // Background work (session processing, webhooks) runs as in production when asked for.
  if (opts.jobs) {
    ctx.queue = await startJobQueue(db, jobDefinitions(ctx), (err) =>
      console.error('e2e job error:', (err as Error).message),
    );
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    ctx,
    db,
    seed: report,
    async close() {
      await app.close();
      await ctx.queue?.stop();
      await db.close();
    },
  };
}

export interface Browser {
  context: BrowserContext;
  /** Console errors and uncaught exceptions seen on any page, for "no console errors" checks. */
  errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Debian's Chromium through playwright-core, with a fresh profile directory per run. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" (.ci/run does) or set CHROMIUM_PATH`,
    );
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'ekyc-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
    viewport: { width: 1280, height: 800 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`${page.url()}: uncaught ${err.message}`));
  };
  for (const p of context.pages()) watch(p);
  context.on('page', watch);
  await mkdir(OUTPUT, { recursive: true });
  return {
    context,
    errors,
    async newPage() {
      return context.pages()[0] ?? (await context.newPage());
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

export const DEMO_PASSWORD = 'Demo@2026';

/** Logs in through the form, the way a person does, and waits for the landing page. */
export async function loginAs(page: Page, baseUrl: string, email: string, password = DEMO_PASSWORD) {
  await page.context().clearCookies();
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel(/Email/).fill(email);
  await page.getByLabel(/Mật khẩu|Password/).fill(password);
  await page.getByRole('button', { name: /Đăng nhập|Log in/ }).click();
  await page.waitForURL(`${baseUrl}/app`);
  await page.getByRole('heading', { level: 1 }).waitFor();
}

/**
 * Accessibility basics on the current page: every form control and button has a name; text contrast
 * meets WCAG AA (4.5:1, 3:1 for large text). The check runs in the page (`a11y-check.js`, browser code).
 */
export async function a11yProblems(page: Page): Promise<string[]> {
  A11Y_SCRIPT ??= await readFile(path.join(import.meta.dirname, 'a11y-check.js'), 'utf8');
  return (await page.evaluate(`${A11Y_SCRIPT}\na11yCheck();`)) as string[];
}
let A11Y_SCRIPT: string | undefined;

/**
 * The app with the job queue and a Chromium whose camera plays `scene` (a still 640×480 frame) on a
 * loop, for the hosted capture flow. `close` stops both and removes the fake video.
 */
export async function startWithFakeCamera(
  scene: Buffer,
): Promise<{ server: Server; browser: Browser; close(): Promise<void> }> {
  const work = await mkdtemp(path.join(tmpdir(), 'ekyc-camera-'));
  const video = path.join(work, 'camera.y4m');
  await writeY4m(
    video,
    Array.from({ length: 10 }, () => scene),
  );
  const [server, browser] = await Promise.all([
    startServer({ jobs: true }),
    launchBrowser([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ]),
  ]);
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
