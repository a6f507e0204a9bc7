import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Download, type Page } from 'playwright-core';
import { buildApp } from '../../src/app.ts';
import type { Db, SqlParam } from '../../src/db/client.ts';
import { seed } from '../../src/db/seed.ts';
import { jobDefinitions } from '../../src/jobs/index.ts';
import { startJobQueue } from '../../src/jobs/queue.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { taxCodeCheckDigit } from '../../src/lib/tax-code.ts';
import { type ApiKeyService, createApiKeyService } from '../../src/modules/accounts/api-keys.service.ts';
import { hashPassword } from '../../src/modules/accounts/passwords.ts';
import { systemActor } from '../../src/modules/audit/audit.ts';
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

/**
 * Builds the portal when `npm install` has not (the `prepare` script normally does) or when a source
 * changed since: a stale build tests yesterday's pages against today's API.
 */
export async function ensureBuilt(): Promise<void> {
  const built = await stat(path.join(DIST, 'index.html')).catch(() => null);
  if (built && !(await newerThan(path.join(REPO, 'web'), built.mtimeMs))) return;
  // Built beside and swapped in, so a service already serving web/dist never finds it empty.
  const fresh = `${DIST}.${process.pid}`;
  const { build } = await import('vite');
  try {
    await build({
      root: path.join(REPO, 'web'),
      logLevel: 'warn',
      // Unhashed names: the service registers one route per built file when it starts, so a service
      // already running (another run) keeps finding the assets after this rebuild.
      build: {
        outDir: fresh,
        rolldownOptions: {
          output: {
            entryFileNames: 'assets/[name].js',
            chunkFileNames: 'assets/[name].js',
            assetFileNames: 'assets/[name][extname]',
          },
        },
      },
    });
    if (!existsSync(path.join(fresh, 'index.html')))
      throw new Error(`vite build did not produce ${fresh}/index.html`);
  } catch (err) {
    await rm(fresh, { recursive: true, force: true });
    throw err;
  }
  const old = `${DIST}.old.${process.pid}`;
  await rename(DIST, old).catch(() => {});
  // Another test process built it at the same time and swapped first: its build is as fresh.
  await rename(fresh, DIST).catch(() => rm(fresh, { recursive: true, force: true }));
  await rm(old, { recursive: true, force: true });
}

async function newerThan(web: string, mtimeMs: number): Promise<boolean> {
  const sources = [
    'index.html',
    'vite.config.ts',
    ...(await readdir(path.join(web, 'src'), { recursive: true })).map((f) => path.join('src', f)),
  ];
  for (const f of sources) if ((await stat(path.join(web, f))).mtimeMs > mtimeMs) return true;
  return false;
}

/** A customer of one test file alone: its sessions, usage, rules and webhooks are nobody else's. */
export interface Tenant {
  customerId: string;
  contractId: string;
  /** The customer admin's login (password DEMO_PASSWORD). */
  adminEmail: string;
  apiKey: string;
}

/**
 * What a test file may do to the service besides HTTP: read and write its database. Rows cross a
 * process boundary when the service is shared, so they arrive as JSON (timestamps as strings).
 */
export interface Control {
  query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]>;
  tenant(label: string): Promise<Tenant>;
}

export interface Server {
  url: string;
  /** Statements one at a time: a shared service's database is in another process (no transactions). */
  db: Db;
  tenant: Tenant;
  close(): Promise<void>;
}

/** The real app on a loopback port with a fresh seeded PGlite, its job queue and the real clock. */
async function startService(): Promise<{ url: string; control: Control; close(): Promise<void> }> {
  await ensureBuilt();
  const db = await freshDatabase('pglite');
  const config = testConfig({ COOKIE_SECURE: 'false' });
  await seed(db, config, systemClock);
  const { app, ctx } = await buildApp({ config, db });
  // Session processing and webhook delivery run in the background as in production.
  ctx.queue = await startJobQueue(db, jobDefinitions(ctx), (err) =>
    console.error('e2e job error:', (err as Error).message),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const apiKeys = createApiKeyService({ db, clock: systemClock, graceHours: config.apiKeyGraceHours });
  return {
    url: `http://127.0.0.1:${address.port}`,
    control: {
      query: (sql, params) => db.query(sql, params),
      tenant: (label) => createTenant(db, apiKeys, label),
    },
    async close() {
      await app.close();
      await ctx.queue?.stop();
      await db.close();
    },
  };
}

/**
 * A bank like the seed's demo one (CTKV 1 signed its active Cloud SaaS contract two months ago, the
 * demo AM manages it) with its own admin and API key, named after the test file.
 */
async function createTenant(db: Db, apiKeys: ApiKeyService, label: string): Promise<Tenant> {
  const slug = `${label.replace(/[^a-z0-9]+/gi, '').toLowerCase()}${randomBytes(3).toString('hex')}`;
  const customerId = `cus_${slug}`;
  const contractId = `ctr_${slug}`;
  const adminEmail = `admin@${slug}.e2e.vn`;
  let taxCode = '';
  while (!taxCode) {
    const first9 = `0${randomInt(1e8).toString().padStart(8, '0')}`;
    const check = taxCodeCheckDigit(first9);
    if (check !== null) taxCode = `${first9}${check}`;
  }
  const today = new Date();
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 2, 1));
  const end = new Date(Date.UTC(start.getUTCFullYear() + 1, start.getUTCMonth(), 0));
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, am_user_id, contact_email)
       VALUES ($1, $2, $3, 'bank', 'unt_ctkv1', 'usr_am', $4)`,
      [customerId, `Ngân hàng Thử nghiệm ${label}`, taxCode, adminEmail],
    );
    await tx.query(
      `INSERT INTO users (id, email, full_name, password_hash, role, customer_id)
       VALUES ($1, $2, $3, $4, 'customer_admin', $5)`,
      [`usr_${slug}`, adminEmail, `Quản trị ${label}`, await hashPassword(DEMO_PASSWORD), customerId],
    );
    await tx.query(
      `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id, am_user_id, price_plan_code)
       VALUES ($1, $2, 'cloud_saas', 'active', $3, $4, 12, 'unt_ctkv1', 'usr_am', 'cloud_saas_default')`,
      [contractId, customerId, start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)],
    );
  });
  const { key } = await apiKeys.create(customerId, 'E2E key', systemActor);
  return { customerId, contractId, adminEmail, apiKey: key };
}

/**
 * Serves a service's `Control` to the test processes on loopback, behind a random token. The token
 * and the address travel in one URL through the environment (`EKYC_E2E_CONTROL`).
 */
async function serveControl(control: Control): Promise<{ url: string; close(): Promise<void> }> {
  const token = randomBytes(16).toString('hex');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const answer = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${token}`) return answer(401, { error: 'token' });
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        if (req.url === '/query') return answer(200, await control.query(body.sql, body.params));
        if (req.url === '/tenant') return answer(200, await control.tenant(body.label));
        answer(404, { error: req.url });
      } catch (err) {
        answer(500, { error: (err as Error).message });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${token}@127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function remoteControl(url: string): Control {
  const u = new URL(url);
  const call = async <T>(path: string, body: object): Promise<T> => {
    const res = await fetch(`${u.origin}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${u.username}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await res.json();
    if (!res.ok) throw new Error(`e2e control ${path}: ${(answer as { error: string }).error}`);
    return answer as T;
  };
  return {
    query: (sql, params) => call('/query', { sql, params }),
    tenant: (label) => call('/tenant', { label }),
  };
}

/** Set by `global-setup.ts` for every test process of the run. */
const SHARED = {
  url: process.env.EKYC_E2E_URL,
  control: process.env.EKYC_E2E_CONTROL,
  browser: process.env.EKYC_E2E_BROWSER,
};

/**
 * The service for one test file, with a fresh tenant of its own: the run's shared one when
 * `global-setup.ts` started it, otherwise one started here for this file alone (`node --test file`).
 */
export async function startServer(label: string): Promise<Server> {
  const own = SHARED.url && SHARED.control ? null : await startService();
  const url = own?.url ?? SHARED.url!;
  const control = own?.control ?? remoteControl(SHARED.control!);
  return {
    url,
    db: {
      engine: 'pglite',
      query: control.query,
      exec: () => Promise.reject(new Error('e2e tests send one statement at a time')),
      transaction: () => Promise.reject(new Error('no transactions across the e2e process boundary')),
    },
    tenant: await control.tenant(label),
    close: async () => own?.close(),
  };
}

/** The run's shared service and Chromium, started once by `global-setup.ts` and shut by it. */
export async function startShared(): Promise<{
  env: { EKYC_E2E_URL: string; EKYC_E2E_CONTROL: string; EKYC_E2E_BROWSER: string };
  close(): Promise<void>;
}> {
  const [service, browser] = await Promise.all([
    startService(),
    chromium.launchServer({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true }),
  ]);
  const control = await serveControl(service.control);
  return {
    env: { EKYC_E2E_URL: service.url, EKYC_E2E_CONTROL: control.url, EKYC_E2E_BROWSER: browser.wsEndpoint() },
    async close() {
      await control.close();
      await browser.close();
      await service.close();
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

function chromiumPath(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" (.ci/run does) or set CHROMIUM_PATH`,
    );
  }
  return CHROMIUM;
}

/**
 * A browser context of its own (cookies, storage) in the run's shared Chromium, or in a Chromium
 * launched for this file when there is none or when it needs flags of its own (`extraArgs`: the fake
 * camera's video is a flag of the whole browser).
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const browser =
    SHARED.browser && extraArgs.length === 0
      ? await chromium.connect(SHARED.browser)
      : await chromium.launch({
          executablePath: chromiumPath(),
          headless: true,
          args: [...CHROMIUM_FLAGS, ...extraArgs],
        });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  const errors: string[] = [];
  context.on('page', (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`${page.url()}: uncaught ${err.message}`));
  });
  await mkdir(OUTPUT, { recursive: true });
  return {
    context,
    errors,
    async newPage() {
      return context.pages()[0] ?? (await context.newPage());
    },
    // Closing a connected browser only drops this file's contexts and connection.
    close: () => browser.close(),
  };
}

/** A download's bytes. Not `download.path()`: the run's shared Chromium is connected remotely, where it fails. */
export async function downloaded(download: Download): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

export const DEMO_PASSWORD = 'Demo@2026';

/** Logs in through the form, the way a person does, and waits for the landing page. */
export async function loginAs(page: Page, baseUrl: string, email: string, password = DEMO_PASSWORD) {
  // Leave the current page first: its requests still in flight after the cookies are gone would
  // answer 401, and the browser logs those as console errors.
  await page.goto('about:blank');
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
 * The service and a Chromium whose camera plays `scene` (a still 640×480 frame) on a loop, for the
 * hosted capture flow. `close` stops both and removes the fake video.
 */
export async function startWithFakeCamera(
  label: string,
  scene: Buffer,
): Promise<{ server: Server; browser: Browser; close(): Promise<void> }> {
  const work = await mkdtemp(path.join(tmpdir(), 'ekyc-camera-'));
  const video = path.join(work, 'camera.y4m');
  await writeY4m(
    video,
    Array.from({ length: 10 }, () => scene),
  );
  const [server, browser] = await Promise.all([
    startServer(label),
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
