import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createBusinessCalendar, defaultCalendarDays } from '../../src/lib/calendar/calendar.ts';
import { addDays } from '../../src/lib/calendar/dates.ts';
import { recordUsageBatch } from '../../src/modules/metering/metering.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../src/modules/webhooks/signing.ts';
import {
  a11yProblems,
  type Browser,
  DEMO_PASSWORD,
  downloaded,
  launchBrowser,
  loginAs,
  type Server,
  screenshot,
  startServer,
} from './harness.ts';

/** Every demo role, what its menu must and must not show. */
const ROLES = [
  { email: 'admin@ekyc.local', role: 'admin', sees: ['Khách hàng', 'Nhật ký kiểm toán'], not: ['Khóa API'] },
  { email: 'operator@ekyc.local', role: 'operator', sees: ['Khách hàng'], not: ['Nhật ký kiểm toán'] },
  { email: 'support@ekyc.local', role: 'support_agent', sees: ['Khách hàng'], not: ['Nhật ký kiểm toán'] },
  { email: 'am@ekyc.local', role: 'am', sees: ['Khách hàng'], not: ['Nhật ký kiểm toán', 'Khóa API'] },
  { email: 'kam@ekyc.local', role: 'kam', sees: ['Khách hàng'], not: ['Nhật ký kiểm toán'] },
  { email: 'ctkv1@ekyc.local', role: 'unit_user', sees: ['Khách hàng'], not: ['Nhật ký kiểm toán'] },
  { email: 'ttcntt@ekyc.local', role: 'unit_user_it', sees: ['Khách hàng'], not: ['Nhật ký kiểm toán'] },
  { email: 'agent1@ekyc.local', role: 'agent_user', sees: ['Khách hàng'], not: ['Nhật ký kiểm toán'] },
  {
    email: 'admin@demobank.vn',
    role: 'customer_admin',
    sees: ['Khóa API'],
    not: ['Khách hàng', 'Nhật ký kiểm toán'],
  },
] as const;

async function navLabels(page: Page): Promise<string[]> {
  return (await page.getByRole('navigation').getByRole('link').allTextContents()).map((s) => s.trim());
}

describe('portal in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  before(async () => {
    [server, browser] = await Promise.all([startServer('portal'), launchBrowser()]);
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('every demo role logs in and lands on its overview, with its own menu and no console errors', async () => {
    for (const r of ROLES) {
      browser.errors.length = 0;
      await loginAs(page, server.url, r.email);
      await page.waitForLoadState('networkidle');
      const h1 = await page.getByRole('heading', { level: 1 }).textContent();
      assert.match(h1 ?? '', /^Xin chào, /, r.email);
      const labels = await navLabels(page);
      for (const s of r.sees)
        assert.ok(labels.includes(s), `${r.role} should see ${s}: ${labels.join(', ')}`);
      for (const s of r.not) assert.ok(!labels.includes(s), `${r.role} should not see ${s}`);
      assert.equal(await page.locator('.alert-error').count(), 0, `${r.role}: an API error is shown`);
      await screenshot(page, `landing-${r.role}`);
      assert.deepEqual(await a11yProblems(page), [], `${r.role} accessibility`);
      assert.deepEqual(browser.errors, [], `${r.role} console errors`);
    }
  });

  test('a wrong password shows the API message, and the login form works from the keyboard alone', async () => {
    await page.context().clearCookies();
    await page.goto(`${server.url}/login`);
    assert.deepEqual(await a11yProblems(page), []);
    await screenshot(page, 'login');
    // Keyboard only: the email field is reachable by Tab, Enter submits.
    await page.keyboard.press('Tab');
    let focused = await page.evaluate('document.activeElement?.id');
    for (let i = 0; i < 5 && focused !== 'login-email'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate('document.activeElement?.id');
    }
    assert.equal(focused, 'login-email');
    await page.keyboard.type('admin@ekyc.local');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not-the-password');
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /Email or password is wrong/);
    assert.match((await alert.textContent()) ?? '', /ERR_INVALID_CREDENTIALS/);
    await screenshot(page, 'login-error');
    await page.getByLabel('Mật khẩu').fill(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/app`);
  });

  test('the language switch turns the portal English and stays across reloads', async () => {
    await loginAs(page, server.url, 'admin@ekyc.local');
    await page.getByRole('button', { name: /Ngôn ngữ/ }).click();
    await page.getByRole('heading', { name: /^Hello, / }).waitFor();
    assert.equal(await page.evaluate('document.documentElement.lang'), 'en');
    await page.reload();
    await page.getByRole('heading', { name: /^Hello, / }).waitFor();
    assert.ok((await navLabels(page)).includes('Audit log'));
    await screenshot(page, 'landing-admin-en');
    await page.getByRole('button', { name: /Language/ }).click();
    await page.getByRole('heading', { name: /^Xin chào, / }).waitFor();
  });

  test('admin browses customers, a customer page and the audit log with filters', async () => {
    browser.errors.length = 0;
    await loginAs(page, server.url, 'admin@ekyc.local');
    await page.getByRole('navigation').getByRole('link', { name: 'Khách hàng' }).click();
    await page.waitForURL(/\/app\/customers$/);
    const first = page.locator('table tbody tr a').first();
    await first.waitFor();
    await screenshot(page, 'customers');
    await first.click();
    await page.waitForURL(/\/app\/customers\/cus_/);
    await page.getByRole('heading', { name: 'Khóa API' }).waitFor();
    await screenshot(page, 'customer-detail');

    // The admin moves the customer to another unit (shown by name), then back: the service is shared.
    const customerId = new URL(page.url()).pathname.split('/').pop()!;
    const [before] = await server.db.query<{ managing_unit_id: string | null }>(
      'SELECT managing_unit_id FROM customers WHERE id = $1',
      [customerId],
    );
    const original = before?.managing_unit_id ?? '';
    const target = original === 'unt_ctkv2' ? 'unt_ctkv3' : 'unt_ctkv2';
    const unitDialog = page.getByRole('dialog');
    for (const unit of [target, original]) {
      await page.getByRole('button', { name: 'Đổi đơn vị quản lý' }).click();
      await unitDialog.getByLabel('Đơn vị quản lý').selectOption(unit);
      if (unit === target) assert.deepEqual(await a11yProblems(page), [], 'managing unit dialog');
      await unitDialog.getByRole('button', { name: 'Lưu' }).click();
      await unitDialog.waitFor({ state: 'detached' });
      const shown = page.getByTestId('customer-unit');
      if (unit) await shown.filter({ hasText: unit === 'unt_ctkv2' ? 'CTKV2 · ' : 'CTKV' }).waitFor();
      const [now] = await server.db.query<{ managing_unit_id: string | null }>(
        'SELECT managing_unit_id FROM customers WHERE id = $1',
        [customerId],
      );
      assert.equal(now?.managing_unit_id ?? '', unit);
    }

    await page.getByRole('navigation').getByRole('link', { name: 'Nhật ký kiểm toán' }).click();
    await page.locator('table tbody tr').first().waitFor();
    await page.getByLabel('Loại đối tượng').fill('no_such_entity');
    await page.getByRole('button', { name: 'Lọc', exact: true }).click();
    await page.getByText('Không có sự kiện phù hợp').waitFor();
    await page.getByRole('button', { name: 'Xóa lọc' }).click();
    await page.locator('table tbody tr').first().waitFor();
    await screenshot(page, 'audit');

    // 60 entries of one action family (plain SQL: the shared service's database takes no transactions,
    // so these are outside the hash chain): a page holds 50, "older" appends the other 10 once.
    await server.db.query(
      `INSERT INTO audit_log (actor_type, action, entity_type, entity_id)
       SELECT 'system', 'e2e_audit.step', 'e2e_audit', 'e' || g FROM generate_series(0, 59) g`,
    );
    await page.getByLabel('Hành động').fill('e2e_audit');
    await page.getByRole('button', { name: 'Lọc', exact: true }).click();
    await page.getByTestId('audit-count').filter({ hasText: 'hiện 50 sự kiện' }).waitFor();
    await page.getByRole('button', { name: 'Xem sự kiện cũ hơn' }).click();
    await page.getByText('Đã hết sự kiện phù hợp').waitFor();
    const ids = await page.locator('table tbody tr td:nth-child(3) code').allTextContents();
    assert.deepEqual(
      ids,
      Array.from({ length: 60 }, (_, i) => `e${59 - i}`),
    );
    // Nothing is logged tomorrow (local day).
    const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('sv-SE', {
      timeZone: 'Asia/Ho_Chi_Minh',
    });
    await page.getByLabel('Từ ngày').fill(tomorrow);
    await page.getByRole('button', { name: 'Lọc', exact: true }).click();
    await page.getByText('Không có sự kiện phù hợp').waitFor();
    await page.getByRole('button', { name: 'Xóa lọc' }).click();
    await page.locator('table tbody tr').first().waitFor();
    assert.deepEqual(await a11yProblems(page), []);
    assert.deepEqual(browser.errors, []);
  });

  test('customer admin creates a key (secret shown once), rotates it with grace and revokes it', async () => {
    browser.errors.length = 0;
    await loginAs(page, server.url, server.tenant.adminEmail);
    await page.getByRole('navigation').getByRole('link', { name: 'Khóa API' }).click();
    await page.waitForURL(/\/app\/api-keys$/);
    await page.getByLabel('Tên khóa').fill('E2E server');
    await page.getByRole('button', { name: 'Tạo khóa mới' }).click();
    const secret = page.getByTestId('api-key-secret');
    await secret.waitFor();
    const key1 = ((await secret.textContent()) ?? '').trim();
    assert.ok(key1.length > 20, 'secret shown');
    await screenshot(page, 'api-key-created');
    await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();
    assert.equal(await page.getByText(key1).count(), 0, 'the secret is not shown again');

    const me = async (key: string) =>
      (await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${key}` } })).status;
    assert.equal(await me(key1), 200);

    const row = page.locator('tr', { hasText: 'E2E server' }).first();
    await row.getByRole('button', { name: 'Xoay vòng' }).click();
    await page.getByLabel(/Khóa cũ còn hiệu lực/).fill('2');
    await page.getByRole('dialog').getByRole('button', { name: 'Xoay vòng' }).click();
    await page.getByText(/Khóa cũ còn hoạt động đến/).waitFor();
    const key2 = ((await page.getByTestId('api-key-secret').textContent()) ?? '').trim();
    assert.notEqual(key2, key1);
    await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();
    assert.equal(await me(key2), 200, 'new key works');
    assert.equal(await me(key1), 200, 'old key works during the grace period');
    await page.locator('.badge', { hasText: 'Sắp hết hạn' }).first().waitFor();
    await screenshot(page, 'api-keys-rotated');

    const active = page.locator('tr', { hasText: 'E2E server' }).filter({ hasText: 'Hoạt động' }).first();
    await active.getByRole('button', { name: 'Thu hồi' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Thu hồi' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.locator('.badge', { hasText: 'Đã thu hồi' }).first().waitFor();
    assert.equal(await me(key2), 401, 'revoked key refused');
    assert.deepEqual(await a11yProblems(page), []);
    assert.deepEqual(browser.errors, []);
  });

  test('on a phone the menu folds behind a toggle and pages still work', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await loginAs(page, server.url, 'admin@demobank.vn');
      const nav = page.getByRole('navigation');
      assert.equal(await nav.isVisible(), false, 'menu hidden on a phone');
      await screenshot(page, 'mobile-landing');
      await page.getByRole('button', { name: 'Menu' }).click();
      await nav.getByRole('link', { name: 'Khóa API' }).click();
      await page.waitForURL(/\/app\/api-keys$/);
      assert.equal(await nav.isVisible(), false, 'menu closes after navigating');
      await screenshot(page, 'mobile-api-keys');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  test('every menu screen of every role opens without an API error (screenshots of each)', async () => {
    for (const r of ROLES) {
      browser.errors.length = 0;
      await loginAs(page, server.url, r.email);
      const links = page.getByRole('navigation').getByRole('link');
      const hrefs = (await links.evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))).filter(
        (h) => h.startsWith('/app/'),
      );
      for (const href of hrefs) {
        await page.getByRole('navigation').locator(`a[href="${href}"]`).click();
        await page.waitForURL(`${server.url}${href}`);
        await page.waitForLoadState('networkidle');
        await page.getByRole('heading', { level: 1 }).waitFor();
        const alerts = await page.locator('.alert-error').allTextContents();
        assert.deepEqual(alerts, [], `${r.role} ${href}`);
        await screenshot(page, `page-${r.role}-${href.slice(5).replaceAll('/', '-')}`);
      }
      assert.deepEqual(browser.errors, [], `${r.role} console errors`);
    }
  });

  test("the customer admin's overview shows this month's requests, cost, tier and the next tier's threshold", async () => {
    browser.errors.length = 0;
    await loginAs(page, server.url, server.tenant.adminEmail);
    const card = page.getByTestId('usage-card');
    await card.getByTestId('usage-requests').waitFor();
    const api = (await (await page.request.get(`${server.url}/api/billing/usage/current`)).json()) as {
      requests: number;
      amount_vnd: number;
      tier: number;
      next_tier: { tier: number; starts_at: number; requests_to_go: number } | null;
    };
    const digits = (s: string | null) => Number((s ?? '').replace(/\D/g, ''));
    assert.equal(digits(await card.getByTestId('usage-requests').textContent()), api.requests);
    assert.equal(digits(await card.getByTestId('usage-cost').textContent()), api.amount_vnd);
    assert.match((await card.getByTestId('usage-tier').textContent()) ?? '', new RegExp(`Bậc ${api.tier} `));
    if (api.next_tier) {
      const next = (await card.getByTestId('usage-next').textContent()) ?? '';
      assert.match(next, new RegExp(`Bậc ${api.next_tier.tier} `));
      assert.ok(
        next.replace(/\D/g, ' ').includes(String(api.next_tier.starts_at).replace(/\D/g, '')) ||
          next.includes(new Intl.NumberFormat('vi-VN').format(api.next_tier.starts_at)),
        next,
      );
      assert.equal(await card.getByRole('progressbar').count(), 1);
    }
    assert.deepEqual(await a11yProblems(page), []);
    await screenshot(page, 'usage-dashboard');
    assert.deepEqual(browser.errors, []);
  });

  test('the customer admin sees requests per day as a bar chart and the sessions by outcome', async () => {
    browser.errors.length = 0;
    const customerId = server.tenant.customerId;
    const now = Date.now();
    const today = new Date(now).toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' });
    await recordUsageBatch(
      server.db,
      Array.from({ length: 7 }, (_, i) => ({
        customerId,
        requestId: `e2e-usage-${i}`,
        kind: 'verification',
        at: new Date(now - i * 1000),
      })),
    );
    for (const [i, status] of ['approved', 'approved', 'approved', 'declined'].entries()) {
      await server.db.query(
        `INSERT INTO verification_sessions (id, customer_id, reference_id, checks, status, created_at, updated_at, last_activity_at)
         VALUES ($1, $2, $3, '["document"]', $4, $5, $5, $5)`,
        [`ses_e2eusage${i}`, customerId, `e2e-${i}`, status, new Date(now)],
      );
    }

    await loginAs(page, server.url, server.tenant.adminEmail);
    await page.getByRole('navigation').getByRole('link', { name: 'Sử dụng' }).click();
    await page.waitForURL(/\/app\/usage$/);
    const chart = page.getByTestId('usage-chart');
    await chart.waitFor();
    assert.equal(await chart.locator('rect').count(), 30, 'one bar per day of the last 30');
    const bar = chart.locator(`rect[data-day="${today}"]`);
    assert.ok(Number(await bar.getAttribute('data-requests')) >= 7, 'today carries the recorded requests');
    const outcomes = page.getByTestId('usage-outcomes');
    assert.match(
      (await outcomes.locator('[data-outcome="approved"]').textContent()) ?? '',
      /Chấp thuận: 3 \(75%\)/,
    );
    assert.match(
      (await outcomes.locator('[data-outcome="declined"]').textContent()) ?? '',
      /Từ chối: 1 \(25%\)/,
    );
    assert.deepEqual(await a11yProblems(page), []);
    await screenshot(page, 'usage-charts');

    await page.getByLabel('Khoảng thời gian').selectOption('7');
    await page.waitForFunction("document.querySelectorAll('[data-testid=usage-chart] rect').length === 7");

    // The sessions list finds a session by its reference and narrows by local created days.
    await page.goto(`${server.url}/app/sessions`);
    await page.getByRole('cell', { name: 'ses_e2eusage0', exact: true }).waitFor();
    await page.getByLabel('Mã phiên hoặc reference_id').fill('e2e-2');
    await page.getByRole('cell', { name: 'ses_e2eusage0', exact: true }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('cell', { name: 'ses_e2eusage2', exact: true }).count(), 1);
    assert.deepEqual(await a11yProblems(page), [], 'sessions search accessibility');
    await page.getByLabel('Đến ngày').fill(addDays(today, -1));
    await page.getByRole('cell', { name: 'ses_e2eusage2', exact: true }).waitFor({ state: 'detached' });
    await page.getByLabel('Từ ngày').fill(today);
    await page.getByLabel('Đến ngày').fill(today);
    await page.getByRole('cell', { name: 'ses_e2eusage2', exact: true }).waitFor();
    assert.deepEqual(browser.errors, []);
  });

  test('the customer admin changes decision thresholds: a new rules version the API then serves', async () => {
    browser.errors.length = 0;
    await loginAs(page, server.url, server.tenant.adminEmail);
    await page.getByRole('navigation').getByRole('link', { name: 'Quy tắc quyết định' }).click();
    await page.getByTestId('rules-version').waitFor();
    const before = (await page.getByTestId('rules-version').textContent()) ?? '';
    const v0 = Number(/(\d+)/.exec(before)?.[1]);
    const face = page.getByRole('group', { name: 'So khớp khuôn mặt' });
    await face.getByLabel('Chuyển xem xét khi điểm dưới').fill('0.7');
    await page.getByRole('group', { name: 'Giấy tờ' }).getByLabel('Giấy tờ hết hạn').selectOption('review');
    assert.deepEqual(await a11yProblems(page), []);
    await page.getByRole('button', { name: 'Lưu thành phiên bản mới' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Đã lưu phiên bản ${v0 + 1}` })
      .waitFor();
    await page
      .getByTestId('rules-version')
      .filter({ hasText: `${v0 + 1}` })
      .waitFor();
    await screenshot(page, 'decision-rules');
    const res = await page.request.get(
      `${server.url}/api/customers/${server.tenant.customerId}/decision-rules`,
    );
    const body = (await res.json()) as {
      current: {
        version: number;
        rules: { face: { review_below: number }; document: { on_expired: string } };
      };
    };
    assert.equal(body.current.version, v0 + 1);
    assert.equal(body.current.rules.face.review_below, 0.7);
    assert.equal(body.current.rules.document.on_expired, 'review');
    assert.deepEqual(browser.errors, []);
  });

  test('the customer admin adds a webhook, sends a test event, reads the delivery log, redelivers and rotates the secret', async () => {
    browser.errors.length = 0;
    const got: Array<{ body: string; signature: string }> = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({
          body: Buffer.concat(chunks).toString(),
          signature: String(req.headers[SIGNATURE_HEADER]),
        });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ekyc`;
    // Delivery is the job queue's, in the background.
    const delivered = async (n: number) => {
      for (let i = 0; i < 600 && got.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(got.length, n);
    };
    try {
      await loginAs(page, server.url, server.tenant.adminEmail);
      await page.getByRole('navigation').getByRole('link', { name: 'Webhook' }).click();
      await page.getByText('Chưa có địa chỉ nhận nào').waitFor();
      await page.getByLabel('Địa chỉ URL nhận').fill(hookUrl);
      await page.getByRole('button', { name: 'Thêm địa chỉ nhận' }).click();
      const secret = ((await page.getByTestId('webhook-secret').textContent()) ?? '').trim();
      assert.match(secret, /^whsec_/);
      await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();
      await page.getByRole('cell', { name: hookUrl, exact: true }).waitFor();
      assert.deepEqual(await a11yProblems(page), []);

      await page.getByRole('button', { name: `Gửi sự kiện thử ${hookUrl}` }).click();
      await page.getByRole('status').filter({ hasText: 'Đã xếp sự kiện thử' }).waitFor();
      await delivered(1);
      const now = Math.floor(Date.now() / 1000);
      assert.ok(
        verifySignature(got[0]!.signature, got[0]!.body, secret, now),
        'signed with the shown secret',
      );
      const log = page.getByTestId('delivery-log');
      await log.getByRole('button', { name: 'Làm mới' }).click();
      const row = log.locator('tbody tr').first();
      await row.locator('.badge[data-status="delivered"]').waitFor();
      assert.match((await row.textContent()) ?? '', /webhook\.test.*200/);
      await screenshot(page, 'webhooks');

      await row.getByRole('button', { name: 'Gửi lại' }).click();
      await delivered(2);

      await page.getByRole('button', { name: `Đổi khóa ký ${hookUrl}` }).click();
      const rotated = ((await page.getByTestId('webhook-secret').textContent()) ?? '').trim();
      assert.notEqual(rotated, secret);
      await page.getByRole('dialog').getByText('Khóa ký cũ vẫn ký song song đến').waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();
      await page.getByRole('button', { name: `Xóa ${hookUrl}` }).click();
      await page.getByText('Chưa có địa chỉ nhận nào').waitFor();
      assert.deepEqual(browser.errors, []);
    } finally {
      receiver.close();
    }
  });

  test("admin screens: a holiday added on the calendar is listed as the admin's; the outbox shows the mails", async () => {
    browser.errors.length = 0;
    await loginAs(page, server.url, 'admin@ekyc.local');
    await page.getByRole('navigation').getByRole('link', { name: 'Lịch làm việc' }).click();
    await page.locator('table tbody tr').first().waitFor();
    const year = await page.getByLabel('Năm').inputValue();
    const day = `${Number(year) + 1}-03-16`;
    await page.getByLabel('Ngày', { exact: true }).fill(day);
    await page.getByLabel('Loại ngày').selectOption('holiday');
    await page.getByLabel('Tên', { exact: true }).fill('Nghỉ thử nghiệm E2E');
    assert.deepEqual(await a11yProblems(page), []);
    await page.getByRole('button', { name: 'Lưu' }).click();
    const row = page.locator('tr', { hasText: day });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Ngày nghỉ.*Nghỉ thử nghiệm E2E.*Quản trị thêm/);
    await screenshot(page, 'admin-calendar');
    const [stored] = await server.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM calendar_days WHERE day = $1',
      [day],
    );
    assert.equal(stored?.n, 1);

    await page.getByRole('navigation').getByRole('link', { name: 'Hộp thư đi' }).click();
    await page.getByRole('heading', { name: 'Hộp thư đi' }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.locator('.alert-error').count(), 0);
    await screenshot(page, 'admin-outbox');

    // Lists page by offset: 50 rows, then "load more" appends the next page without repeating one.
    await server.db.query(
      `INSERT INTO notices (id, channel, recipient, subject, body_text, template, status)
       SELECT 'ntc_e2epage' || g, 'email', 'p' || g || '@bank.vn', 'E2E paging ' || g, 'x', 'e2e.paging', 'failed'
         FROM generate_series(1, 60) g`,
    );
    const [failed] = await server.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM notices WHERE status = 'failed'",
    );
    const answered = (part: string) =>
      page.waitForResponse((r) => r.url().includes('/api/notices?') && r.url().includes(part));
    const rows = page.locator('table tbody tr');
    await Promise.all([answered('status=failed'), page.locator('#f-status').selectOption('failed')]);
    await rows.nth(49).waitFor();
    assert.equal(await rows.count(), 50);
    const expected = Math.min(100, failed!.n);
    await Promise.all([answered('offset=50'), page.getByRole('button', { name: 'Tải thêm' }).click()]);
    await rows.nth(expected - 1).waitFor();
    assert.equal(await rows.count(), expected);
    const subjects = await rows.locator('summary').allTextContents();
    assert.equal(new Set(subjects).size, expected, 'no row twice');
    assert.deepEqual(browser.errors, []);
  });

  test('admin creates a staff user (temporary password shown once) who can log in, then disables it', async () => {
    browser.errors.length = 0;
    await loginAs(page, server.url, 'admin@ekyc.local');
    await page.getByRole('navigation').getByRole('link', { name: 'Người dùng' }).click();
    await page.waitForURL(/\/app\/users$/);
    await page.locator('table tbody tr').first().waitFor();
    // Filters and badges show labels, not codes.
    const roleFilter = await page.locator('#f-role option').allTextContents();
    assert.ok(roleFilter.includes('Quản trị hệ thống') && !roleFilter.includes('admin'), roleFilter.join());
    const unitFilter = await page.locator('#f-unit_id option').allTextContents();
    assert.ok(!unitFilter.some((o) => o.startsWith('unt_')), unitFilter.join());
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Thêm người dùng' }) });
    await form.getByLabel('Email').fill('e2e.agent@ekyc.local');
    await form.getByLabel('Họ tên').fill('Nhân viên E2E');
    await form.getByLabel('Vai trò').selectOption('agent_user');
    await form.getByLabel('Đơn vị').selectOption('unt_agent1');
    assert.deepEqual(await a11yProblems(page), []);
    await form.getByRole('button', { name: 'Tạo người dùng' }).click();
    const secret = page.getByTestId('user-temp-password');
    await secret.waitFor();
    const password = ((await secret.textContent()) ?? '').trim();
    assert.ok(password.length >= 12, 'temporary password shown');
    await screenshot(page, 'admin-user-created');
    await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();
    assert.equal(await page.getByText(password).count(), 0, 'the password is not shown again');

    const login = async () =>
      (
        await fetch(`${server.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'e2e.agent@ekyc.local', password }),
        })
      ).status;
    assert.equal(await login(), 200, 'the new user logs in with the temporary password');

    const row = page.locator('tr', { hasText: 'e2e.agent@ekyc.local' });
    // Disabling asks first; the dialog names the user.
    await row.getByRole('button', { name: 'Vô hiệu hóa' }).click();
    const confirm = page.getByRole('dialog', { name: 'Vô hiệu hóa e2e.agent@ekyc.local?' });
    await confirm.getByText('sẽ bị đăng xuất ngay').waitFor();
    assert.deepEqual(await a11yProblems(page), [], 'disable confirmation accessibility');
    await confirm.getByRole('button', { name: 'Vô hiệu hóa' }).click();
    await row.locator('.badge', { hasText: 'Đã vô hiệu hóa' }).waitFor();
    await row.getByRole('button', { name: 'Kích hoạt' }).waitFor();
    await screenshot(page, 'admin-user-disabled');
    assert.equal(await login(), 401, 'a disabled user cannot log in');
    const [audit] = await server.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE entity_type = 'user' AND action IN ('user.create', 'user.update')
         AND entity_id IN (SELECT id FROM users WHERE email = 'e2e.agent@ekyc.local')`,
    );
    assert.equal(audit?.n, 2);
    assert.deepEqual(browser.errors, []);
  });

  test('a new staff user must replace the temporary password before the portal opens', async () => {
    browser.errors.length = 0;
    const adminLogin = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@ekyc.local', password: DEMO_PASSWORD }),
    });
    const cookie = adminLogin.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const { csrf_token } = (await adminLogin.json()) as { csrf_token: string };
    const created = await fetch(`${server.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf_token },
      body: JSON.stringify({ email: 'e2e.first@ekyc.local', full_name: 'Lần Đầu', role: 'operator' }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { temporary_password } = (await created.json()) as { temporary_password: string };

    await loginAs(page, server.url, 'e2e.first@ekyc.local', temporary_password);
    await page.getByRole('heading', { level: 1, name: 'Đổi mật khẩu' }).waitFor();
    assert.equal(await page.getByRole('navigation').count(), 0, 'no menu until the password is changed');
    assert.deepEqual(await a11yProblems(page), [], 'password change accessibility');
    await screenshot(page, 'password-change');
    await page.getByLabel('Mật khẩu tạm thời').fill(temporary_password);
    await page.getByLabel('Mật khẩu mới', { exact: true }).fill('Mat-khau-rieng-2026');
    await page.getByLabel('Nhập lại mật khẩu mới').fill('Mat-khau-khac-2026');
    await page.getByText('Hai mật khẩu mới không khớp.').waitFor();
    // The server's rule, shown from its problem+json.
    await page.getByLabel('Mật khẩu mới', { exact: true }).fill('chidungchucai');
    await page.getByLabel('Nhập lại mật khẩu mới').fill('chidungchucai');
    await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await page.locator('.alert-error', { hasText: 'at least 10 characters' }).waitFor();
    await page.getByLabel('Mật khẩu mới', { exact: true }).fill('Mat-khau-rieng-2026');
    await page.getByLabel('Nhập lại mật khẩu mới').fill('Mat-khau-rieng-2026');
    await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await page.getByRole('heading', { level: 1, name: /^Xin chào, / }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.locator('.alert-error').count(), 0);
    // The new password is the one that logs in now, straight to the overview.
    await loginAs(page, server.url, 'e2e.first@ekyc.local', 'Mat-khau-rieng-2026');
    await page.getByRole('heading', { level: 1, name: /^Xin chào, / }).waitFor();
    // The refused weak password is the only console error (the browser logs the 400).
    assert.deepEqual(
      browser.errors.filter((e) => !e.includes('status of 400')),
      [],
    );
  });

  test('admin adds, edits and deactivates a unit, adds a price version and a channel-share rate; API errors shown', async () => {
    browser.errors.length = 0;
    await loginAs(page, server.url, 'admin@ekyc.local');
    await page.getByRole('navigation').getByRole('link', { name: 'Đơn vị' }).click();
    await page.waitForURL(/\/app\/units$/);
    await page.locator('table tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Thêm đơn vị' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByLabel('Mã').fill('E2E_KV');
    await dialog.getByLabel('Tên').fill('Công ty E2E Khu vực');
    await dialog.getByLabel('Khu vực').fill('Khu vực 10');
    assert.deepEqual(await a11yProblems(page), [], 'unit form accessibility');
    await dialog.getByRole('button', { name: 'Lưu' }).click();
    const row = page.locator('tr', { hasText: 'E2E_KV' });
    await row.getByText('Khu vực 10').waitFor();
    assert.equal(await row.getByText('Công ty khu vực (CTKV)').count(), 1, 'the kind is shown as a label');
    await row.getByRole('button', { name: 'Sửa' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Email').fill('kv10@mobifone.vn');
    await dialog.getByLabel('Khu vực').fill('Tây Nguyên');
    await dialog.getByRole('button', { name: 'Lưu' }).click();
    await row.getByText('Tây Nguyên').waitFor();
    // Deactivating asks first: cancelled, the unit stays active; confirmed, it is deactivated.
    await row.getByRole('button', { name: 'Ngừng hoạt động' }).click();
    dialog = page.getByRole('dialog', { name: 'Ngừng hoạt động đơn vị Công ty E2E Khu vực?' });
    await dialog.getByRole('button', { name: 'Hủy' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await server.db.query("SELECT 1 FROM units WHERE code = 'E2E_KV' AND active")).length, 1);
    await row.getByRole('button', { name: 'Ngừng hoạt động' }).click();
    await dialog.getByRole('button', { name: 'Ngừng hoạt động' }).click();
    await row.locator('.badge', { hasText: 'Đã vô hiệu hóa' }).waitFor();
    await screenshot(page, 'admin-units');
    const [unit] = await server.db.query<{ region: string; email: string; active: boolean }>(
      "SELECT region, email, active FROM units WHERE code = 'E2E_KV'",
    );
    assert.deepEqual(unit, { region: 'Tây Nguyên', email: 'kv10@mobifone.vn', active: false });

    await page.getByRole('navigation').getByRole('link', { name: 'Gói cước' }).click();
    await page.waitForURL(/\/app\/plans$/);
    const plan = page.locator('form', { has: page.getByRole('heading', { name: 'Phiên bản giá mới' }) });
    await plan.getByLabel('Hiệu lực từ').waitFor();
    await plan.getByLabel('Hiệu lực từ').fill('2031-01-01');
    await plan.getByLabel('Bậc 1: đơn giá (₫)').fill('990');
    assert.deepEqual(await a11yProblems(page), [], 'plans page accessibility');
    await plan.getByRole('button', { name: 'Lưu phiên bản' }).click();
    await plan.getByText('Đã lưu phiên bản giá mới.').waitFor();
    await page.locator('tr', { hasText: '2031-01-01' }).first().waitFor();
    const [version] = await server.db.query<{ tiers: Array<{ unit_price_vnd: number }> }>(
      "SELECT tiers FROM price_plan_versions WHERE plan_code = 'cloud_saas_default' AND effective_from = '2031-01-01'",
    );
    assert.equal(version?.tiers[0]?.unit_price_vnd, 990);

    const rates = page.locator('section', {
      has: page.getByRole('heading', { name: 'Tỷ lệ chia sẻ doanh thu kênh' }),
    });
    await rates.getByLabel('Tỷ lệ (%)').fill('42.5');
    await rates.getByLabel('Hiệu lực từ').fill('2031-02-01');
    // A rate cannot be edited once saved: the form asks first, restating channel, rate and date.
    const rateForm = rates.locator('form');
    await rateForm.getByRole('button', { name: 'Lưu tỷ lệ' }).click();
    const rateConfirm = page.getByRole('dialog', { name: 'Lưu tỷ lệ chia sẻ mới?' });
    await rateConfirm.getByText('42.50 % từ ngày 2031-02-01').waitFor();
    await rateConfirm.getByRole('button', { name: 'Lưu tỷ lệ' }).click();
    await rates.locator('tr', { hasText: '2031-02-01' }).getByText('42.50 %').waitFor();
    // The same channel and date again: the API's problem is shown as its message, in the dialog.
    await rateForm.getByLabel('Tỷ lệ (%)').fill('43');
    await rateForm.getByLabel('Hiệu lực từ').fill('2031-02-01');
    await rateForm.getByRole('button', { name: 'Lưu tỷ lệ' }).click();
    await rateConfirm.getByRole('button', { name: 'Lưu tỷ lệ' }).click();
    await rateConfirm.locator('.alert-error', { hasText: 'already has a rate from that date' }).waitFor();
    await screenshot(page, 'admin-plans-rates');
    await rateConfirm.getByRole('button', { name: 'Hủy' }).click();
    const [rate] = await server.db.query<{ rate_bp: number }>(
      "SELECT rate_bp FROM commission_rates WHERE channel = 'agent' AND effective_from = '2031-02-01'",
    );
    assert.equal(rate?.rate_bp, 4250);
    // The refused duplicate is the only console error (the browser logs the 409).
    assert.deepEqual(
      browser.errors.filter((e) => !e.includes('status of 409')),
      [],
    );
  });

  test("the AM reads this month's channel-share statement after last month's invoice is finalized", async () => {
    browser.errors.length = 0;
    const customerId = server.tenant.customerId;
    const local = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' });
    const [y, m] = local.split('-').map(Number) as [number, number];
    const previous = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
    await recordUsageBatch(
      server.db,
      Array.from({ length: 50 }, (_, i) => ({
        customerId,
        requestId: `e2e-statement-${i}`,
        kind: 'verification',
        at: new Date(`${previous}-15T03:00:00Z`),
      })),
    );
    // The admin runs last month on its screen (confirm, progress, summary) and exports its invoices.
    await loginAs(page, server.url, 'admin@ekyc.local');
    await page.getByRole('navigation').getByRole('link', { name: 'Kỳ cước' }).click();
    await page.getByLabel('Tháng', { exact: true }).fill(previous);
    await page.getByRole('button', { name: 'Chạy kỳ cước' }).click();
    const dialog = page.getByRole('dialog', { name: `Chạy kỳ cước tháng ${previous}?` });
    await dialog.getByRole('button', { name: 'Chạy kỳ cước' }).click();
    const summary = page.getByTestId('billing-summary');
    await summary.waitFor();
    assert.match((await summary.textContent()) ?? '', new RegExp(`Đã chạy xong kỳ cước tháng ${previous}`));
    assert.equal(await page.getByTestId('billing-running').count(), 0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Hóa đơn (CSV)' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `invoices-${previous}.csv`);
    assert.match((await downloaded(download)).toString('utf8'), new RegExp(customerId));
    assert.deepEqual(await a11yProblems(page), []);
    await screenshot(page, 'billing-run');
    // Finalizing has no screen yet: through the API, as the admin.
    const csrf = (await page.context().cookies()).find((c) => c.name === 'ekyc_csrf')?.value ?? '';
    const headers = { 'x-csrf-token': csrf };
    const invoices = (await (
      await page.request.get(`${server.url}/api/invoices?month=${previous}&customer_id=${customerId}`)
    ).json()) as { items: Array<{ id: string; status: string }> };
    for (const inv of invoices.items.filter((i) => i.status === 'draft')) {
      const fin = await page.request.post(`${server.url}/api/invoices/${inv.id}/finalize`, { headers });
      assert.equal(fin.status(), 200, await fin.text());
    }

    await loginAs(page, server.url, 'am@ekyc.local');
    await page.getByRole('navigation').getByRole('link', { name: 'Bảng kê hoa hồng' }).click();
    const total = page.getByTestId('statement-total').first();
    await total.waitFor();
    const api = (await (
      await page.request.get(`${server.url}/api/commissions/statements?month=${local.slice(0, 7)}`)
    ).json()) as { totals: Array<{ amount_vnd: number }> };
    assert.ok(api.totals.length > 0 && api.totals[0]!.amount_vnd > 0);
    assert.equal(
      Number(((await total.locator('.stat').textContent()) ?? '').replace(/\D/g, '')),
      api.totals[0]!.amount_vnd,
    );
    const csv = await page.request.get(
      `${server.url}/api/commissions/statements?month=${local.slice(0, 7)}&format=csv`,
    );
    assert.match(await csv.text(), /statement_month,channel/);
    assert.equal(await page.getByRole('link', { name: 'Tải CSV' }).count(), 1);
    assert.deepEqual(await a11yProblems(page), []);
    await screenshot(page, 'statements-am');
    assert.deepEqual(browser.errors, []);
  });

  test('a support request through review: the desk replies, notes, calls back and resolves; the customer reopens, then closes it', async () => {
    browser.errors.length = 0;
    const dialog = page.getByRole('dialog');
    const status = () => page.locator('h1 [data-status]').getAttribute('data-status');
    const subject = `Webhook không nhận được sự kiện ${Date.now()}`;
    // The customer admin files the request from the portal and lands on it.
    await loginAs(page, server.url, server.tenant.adminEmail);
    await page.goto(`${server.url}/app/support`);
    await page.getByRole('button', { name: 'Gửi yêu cầu hỗ trợ' }).click();
    await dialog.getByLabel('Loại yêu cầu').selectOption('technical');
    await dialog.getByLabel('Nhóm vấn đề').fill('webhook');
    await dialog.getByLabel('Tiêu đề').fill(subject);
    await dialog.getByLabel('Mô tả').fill('Từ sáng nay endpoint không nhận được session.completed.');
    assert.deepEqual(await a11yProblems(page), [], 'new request dialog');
    await dialog.getByRole('button', { name: 'Gửi' }).click();
    await page.waitForURL(/\/app\/support\/sup_/);
    const url = page.url();

    // The support agent opens it from the list and works it.
    await loginAs(page, server.url, 'support@ekyc.local');
    await page.goto(`${server.url}/app/support`);
    await page.getByRole('link', { name: subject }).click();
    await page.waitForURL(url);
    await page.getByText('Hỗ trợ kỹ thuật và khiếu nại (0896151617)').waitFor();
    assert.equal(await page.locator('h1 .badge', { hasText: /Trong hạn|SLA/ }).count(), 1, 'SLA badge');
    const act = async (button: string, fill: Record<string, string>, submit: string) => {
      await page.getByRole('button', { name: button, exact: true }).click();
      for (const [field, value] of Object.entries(fill)) await dialog.getByLabel(field).fill(value);
      await dialog.getByRole('button', { name: submit, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
    };
    const reply = 'Chúng tôi đang kiểm tra nhật ký gửi webhook của quý khách.';
    const note = 'Endpoint trả 502 từ 07:40, có thể do tường lửa phía khách.';
    await act('Trả lời', { 'Nội dung trả lời (khách hàng xem được)': reply }, 'Gửi');
    await act('Ghi chú nội bộ', { 'Ghi chú (chỉ bộ phận hỗ trợ xem được)': note }, 'Lưu');
    await page.locator('.event-internal', { hasText: note }).waitFor();
    await page.locator('.event-reply', { hasText: reply }).waitFor();
    // A callback in the past is refused, and the dialog shows the API's message.
    const vnDay = (offset: number) => new Date(Date.now() + 7 * 3_600_000 + offset * 86_400_000);
    await page.getByRole('button', { name: 'Hẹn gọi lại' }).click();
    await dialog.getByLabel('Thời điểm gọi lại').fill(`${vnDay(-1).toISOString().slice(0, 10)}T10:00`);
    await dialog.getByRole('button', { name: 'Lưu' }).click();
    await dialog.getByRole('alert').getByText('ERR_SUPPORT_CALLBACK_TIME').waitFor();
    // The next working day on the service's default calendar (weekends, Tết and public holidays off).
    const workdays = createBusinessCalendar(defaultCalendarDays());
    let next = 1;
    while (!workdays.isWorkingDay(vnDay(next).toISOString().slice(0, 10))) next++;
    await dialog.getByLabel('Thời điểm gọi lại').fill(`${vnDay(next).toISOString().slice(0, 10)}T10:00`);
    await dialog.getByRole('button', { name: 'Lưu' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await status(), 'callback_scheduled');
    const resolution = 'Đã mở tường lửa cho dải IP gửi webhook; sự kiện được gửi lại.';
    await act('Giải quyết', { 'Thông báo kết quả gửi khách hàng': resolution }, 'Giải quyết');
    assert.match((await status()) ?? '', /^(resolved|awaiting_review)$/);
    await screenshot(page, 'support-request-desk');
    assert.deepEqual(await a11yProblems(page), [], 'support request, desk');

    // The customer sees the reply and the resolution, never the internal note, and is not satisfied.
    await loginAs(page, server.url, server.tenant.adminEmail);
    await page.goto(url);
    await page.getByText(resolution).waitFor();
    await page.getByText(reply).waitFor();
    assert.equal(await page.getByText(note).count(), 0, 'internal note shown to the customer');
    assert.equal(await page.getByRole('button', { name: 'Ghi chú nội bộ' }).count(), 0);
    await act('Chưa hài lòng', { 'Nhận xét': 'Vẫn chưa nhận được sự kiện nào.' }, 'Gửi đánh giá');
    assert.equal(await status(), 'reopened');
    await screenshot(page, 'support-request-customer');
    assert.deepEqual(await a11yProblems(page), [], 'support request, customer');

    // The desk resolves again; this time the customer is satisfied and the request closes.
    await loginAs(page, server.url, 'support@ekyc.local');
    await page.goto(url);
    await page.getByText('Vẫn chưa nhận được sự kiện nào.').waitFor();
    await act('Giải quyết', { 'Thông báo kết quả gửi khách hàng': 'Đã gửi lại 12 sự kiện.' }, 'Giải quyết');
    await loginAs(page, server.url, server.tenant.adminEmail);
    await page.goto(url);
    await act('Hài lòng', {}, 'Gửi đánh giá');
    assert.equal(await status(), 'closed');
    assert.equal(
      await page.getByRole('button', { name: 'Trả lời' }).count(),
      0,
      'a closed request takes no reply',
    );
    await screenshot(page, 'support-request-closed');
    assert.deepEqual(await a11yProblems(page), []);
    // The one refused callback time answered 422 on purpose; Chromium logs every error answer.
    assert.deepEqual(
      browser.errors.filter((e) => !e.includes('status of 422')),
      [],
    );
  });

  test('a deep link while logged out goes to the login page and back after login', async () => {
    await page.context().clearCookies();
    await page.goto(`${server.url}/app/audit`);
    await page.waitForURL(/\/login\?next=%2Fapp%2Faudit/);
    await page.getByLabel('Email').fill('admin@ekyc.local');
    await page.getByLabel('Mật khẩu').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL(`${server.url}/app/audit`);
    await page.getByRole('heading', { name: 'Nhật ký kiểm toán' }).waitFor();
  });
});
