import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { taxCodeCheckDigit } from '../../src/lib/tax-code.ts';
import {
  a11yProblems,
  type Browser,
  downloaded,
  launchBrowser,
  loginAs,
  type Server,
  screenshot,
  startServer,
} from './harness.ts';

/** A fresh 10-digit tax code with a valid check digit. */
function validTaxCode(): string {
  for (let n = Date.now() % 1e8; ; n++) {
    const first9 = `0${String(n).padStart(8, '0')}`;
    const d = taxCodeCheckDigit(first9);
    if (d !== null) return `${first9}${d}`;
  }
}

/**
 * The new-contract workflow in a real browser, one person at a time on the same server:
 * a CTKV user records a new customer and declares a Cloud SaaS contract on the public price plan,
 * the operator provisions it from the task queue, the unit opens the one-time account-details link
 * it was mailed and confirms "sent to customer"; the contract is then active, the link is spent,
 * and the customer's admin logs in with the temporary password.
 */
describe('contract workflow in Chromium: declare → provision → account details → sent', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  before(async () => {
    [server, browser] = await Promise.all([startServer('contracts'), launchBrowser()]);
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const contractStatus = async (id: string) =>
    (await server.db.query<{ status: string }>('SELECT status FROM contracts WHERE id = $1', [id]))[0]
      ?.status;

  test('CTKV declares, operator provisions, the unit hands over once, the customer admin logs in', async () => {
    browser.errors.length = 0;
    const taxCode = validTaxCode();
    const legalName = 'Công ty Tài chính Thử nghiệm E2E';
    const adminEmail = `it-${taxCode}@finance-e2e.vn`;

    // 1. The CTKV user records the customer.
    await loginAs(page, server.url, 'ctkv1@ekyc.local');
    await page.goto(`${server.url}/app/customers`);
    await page.getByRole('button', { name: 'Thêm khách hàng' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('Tên pháp lý').fill(legalName);
    await dlg.getByLabel('Mã số thuế').fill(taxCode);
    await dlg.getByLabel('Phân khúc').selectOption('finance');
    await dlg.getByLabel('Người liên hệ').fill('Trần Thị Liên Hệ');
    await dlg.getByLabel('Email liên hệ').fill(adminEmail);
    assert.deepEqual(await a11yProblems(page), [], 'new customer form accessibility');
    await screenshot(page, 'workflow-1-new-customer');
    const created = page.waitForResponse(
      (r) => r.url().endsWith('/api/customers') && r.request().method() === 'POST',
    );
    await dlg.getByRole('button', { name: 'Lưu khách hàng' }).click();
    assert.equal((await created).status(), 201);
    await page.getByRole('cell', { name: legalName }).waitFor();

    // 2. … and declares a new Cloud SaaS contract on the public plan.
    await page.goto(`${server.url}/app/contracts`);
    await page.getByRole('button', { name: 'Khai báo hợp đồng' }).click();
    const form = page.getByRole('dialog');
    await form.getByLabel('Khách hàng').selectOption({ label: legalName });
    await form
      .getByLabel('Loại hợp đồng')
      .selectOption('cloud_saas')
      .catch(() => {});
    const plan = form.getByLabel('Gói cước');
    await plan
      .locator('option[value="cloud_saas_default"]')
      .waitFor({ state: 'attached', timeout: 10_000 })
      .catch(async (e) => {
        throw new Error(`${(e as Error).message}\nform: ${await form.innerHTML()}`);
      });
    await plan.selectOption('cloud_saas_default');
    assert.deepEqual(await a11yProblems(page), [], 'declare form accessibility');
    await screenshot(page, 'workflow-2-declare');
    const declared = page.waitForResponse(
      (r) => r.url().endsWith('/api/contracts') && r.request().method() === 'POST',
    );
    await form.getByRole('button', { name: 'Khai báo hợp đồng' }).click();
    const res = await declared;
    assert.equal(res.status(), 201, await res.text());
    const contract = (await res.json()) as { id: string; price_plan_code: string; status: string };
    assert.equal(contract.price_plan_code, 'cloud_saas_default');
    await page.getByRole('cell', { name: contract.id, exact: true }).waitFor();
    assert.equal(await contractStatus(contract.id), 'declared');
    await screenshot(page, 'workflow-3-declared');

    // The unit keeps the signed PDF with the contract: a non-PDF is refused with the API's message, a PDF
    // is stored, shows in the history and downloads byte for byte.
    await page.getByRole('button', { name: `Lịch sử & bản ký ${contract.id}` }).click();
    const history = page.getByRole('dialog', { name: `Hợp đồng ${contract.id}` });
    await history.getByTestId('contract-timeline').locator('li').first().waitFor();
    await history.getByText('Chưa lưu bản đã ký').waitFor();
    const pick = history.getByLabel('Tệp PDF đã ký');
    await pick.setInputFiles({
      name: 'signed.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a pdf'),
    });
    await history.getByRole('button', { name: 'Tải lên bản đã ký' }).click();
    await history.locator('.alert-error', { hasText: 'must be a PDF' }).waitFor();
    const pdf = Buffer.from('%PDF-1.4\n% e2e signed contract\n%%EOF\n');
    await pick.setInputFiles({ name: 'signed.pdf', mimeType: 'application/pdf', buffer: pdf });
    await history.getByRole('button', { name: 'Tải lên bản đã ký' }).click();
    await history.getByText('Đã lưu bản hợp đồng đã ký').waitFor();
    await history.getByText('signed_file_uploaded').waitFor();
    assert.deepEqual(await a11yProblems(page), [], 'contract history accessibility');
    await screenshot(page, 'workflow-3b-signed-file');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      history.getByRole('button', { name: 'Tải bản đã ký' }).click(),
    ]);
    assert.deepEqual(await downloaded(download), pdf);
    await history.getByRole('button', { name: 'Đóng' }).click();

    // 3. The operator provisions it from the task queue.
    await loginAs(page, server.url, 'operator@ekyc.local');
    await page.goto(`${server.url}/app/tasks`);
    const provision = page.getByRole('button', { name: `Cấp tài khoản ${contract.id}` });
    await provision.waitFor();
    // Due at the end of the next working day, counted on the business calendar.
    await page.getByRole('row').filter({ has: provision }).getByText('còn 1 ngày làm việc').waitFor();
    assert.deepEqual(await a11yProblems(page), [], 'task queue accessibility');
    await screenshot(page, 'workflow-4-task-queue');
    await provision.click();
    await page.getByRole('status').filter({ hasText: contract.id }).waitFor();
    await screenshot(page, 'workflow-5-provisioned');
    assert.equal(await contractStatus(contract.id), 'provisioning');
    assert.equal(await provision.count(), 0, 'the provisioning task is closed');

    // 4. The unit receives the one-time link by email (the notice outbox), and opens it in the portal.
    const [mail] = await server.db.query<{ body_text: string }>(
      "SELECT body_text FROM notices WHERE entity_id = $1 AND template LIKE '%provisioned%' ORDER BY created_at DESC",
      [contract.id],
    );
    const token = /\/app\/account-links\/([A-Za-z0-9_-]+)/.exec(mail?.body_text ?? '')?.[1];
    assert.ok(token, 'the unit was mailed the account-details link');
    await loginAs(page, server.url, 'ctkv1@ekyc.local');
    await page.goto(`${server.url}/app/account-links/${token}`);
    await page.getByRole('heading', { name: 'Thông tin tài khoản khách hàng' }).waitFor();
    const text = (await page.textContent('main')) ?? '';
    assert.ok(text.includes(adminEmail), 'the admin login is shown');
    assert.match(text, /ek_(live|test)_|ekyc_|[A-Za-z0-9_]{24,}/, 'an API key is shown');
    const password = (
      await page.locator('dl.details div', { hasText: 'Mật khẩu tạm thời' }).locator('dd').textContent()
    )?.trim();
    assert.ok(password && password.length >= 8, 'a temporary password is shown');
    assert.deepEqual(await a11yProblems(page), [], 'account details accessibility');
    await screenshot(page, 'workflow-6-account-details');

    // 5. Sent to the customer: the contract is active.
    await page.getByLabel('Thư bàn giao (PDF in)').check();
    await page.getByRole('button', { name: 'Đã gửi cho khách hàng' }).click();
    await page.getByText('Đã xác nhận gửi cho khách hàng').waitFor();
    await screenshot(page, 'workflow-7-sent');
    assert.equal(await contractStatus(contract.id), 'active');

    // The link works once: opening it again explains instead of showing the details.
    await page.goto(`${server.url}/app/account-links/${token}`);
    await page.getByRole('alert').waitFor();
    assert.ok(!((await page.textContent('main')) ?? '').includes(password), 'the details are gone');
    await screenshot(page, 'workflow-8-link-spent');

    // 6. The customer's admin logs in with what was handed over.
    await loginAs(page, server.url, adminEmail, password);
    await screenshot(page, 'workflow-9-customer-admin');

    // The only console errors allowed: the browser logging the spent link's 410 and the refused non-PDF's 415.
    assert.deepEqual(
      browser.errors.filter(
        (e) =>
          !(e.includes('/app/account-links/') && e.includes('status of 410')) && !e.includes('status of 415'),
      ),
      [],
    );
  });

  test("the unit renews a bank's active contract, the operator activates it; then the unit cancels and the operator confirms", async () => {
    browser.errors.length = 0;
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' });

    // 1. The CTKV declares the renewal of this file's bank's active contract.
    await loginAs(page, server.url, 'ctkv1@ekyc.local');
    await page.goto(`${server.url}/app/contracts`);
    await page.getByRole('button', { name: `Gia hạn ${server.tenant.contractId}` }).click();
    const renew = page.getByRole('dialog');
    await renew.getByLabel('Thời hạn (tháng)').fill('24');
    assert.deepEqual(await a11yProblems(page), [], 'renewal form accessibility');
    await screenshot(page, 'renewal-1-declare');
    const declared = page.waitForResponse(
      (r) => r.url().endsWith('/api/contracts') && r.request().method() === 'POST',
    );
    await renew.getByRole('button', { name: 'Khai báo gia hạn' }).click();
    const res = await declared;
    assert.equal(res.status(), 201, await res.text());
    const renewal = (await res.json()) as { id: string; renewal_of: string; term_months: number };
    assert.equal(renewal.renewal_of, server.tenant.contractId);
    assert.equal(renewal.term_months, 24);
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByText(`Gia hạn của ${server.tenant.contractId}`).waitFor();
    assert.equal(await contractStatus(renewal.id), 'declared');

    // 2. The operator activates it from the task queue.
    await loginAs(page, server.url, 'operator@ekyc.local');
    await page.goto(`${server.url}/app/tasks`);
    const activate = page.getByRole('button', { name: `Kích hoạt gia hạn ${renewal.id}` });
    await activate.click();
    await page.getByRole('status').filter({ hasText: renewal.id }).waitFor();
    await screenshot(page, 'renewal-2-activated');
    assert.equal(await contractStatus(renewal.id), 'active');
    assert.equal(await contractStatus(server.tenant.contractId), 'renewed');

    // 3. The customer asks to cancel: the unit declares it, effective today.
    await loginAs(page, server.url, 'ctkv1@ekyc.local');
    await page.goto(`${server.url}/app/contracts`);
    await page.getByRole('button', { name: `Hủy hợp đồng ${renewal.id}` }).click();
    const cancel = page.getByRole('dialog');
    assert.equal(await cancel.getByLabel('Ngày hiệu lực hủy').inputValue(), today);
    await cancel.getByLabel('Lý do').fill('Khách hàng chuyển sang giải pháp nội bộ');
    assert.deepEqual(await a11yProblems(page), [], 'cancellation form accessibility');
    await screenshot(page, 'cancellation-1-declare');
    await cancel.getByRole('button', { name: 'Khai báo hủy' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByText(`Ngừng dịch vụ từ ${today}`).waitFor();
    assert.equal(await contractStatus(renewal.id), 'cancellation_requested');

    // 4. The operator configures it: effective today, so the contract is cancelled at once.
    await loginAs(page, server.url, 'operator@ekyc.local');
    await page.goto(`${server.url}/app/tasks`);
    await page.getByRole('button', { name: `Xác nhận đã cấu hình hủy ${renewal.id}` }).click();
    await page.getByRole('status').filter({ hasText: renewal.id }).waitFor();
    await screenshot(page, 'cancellation-2-configured');
    assert.equal(await contractStatus(renewal.id), 'cancelled');
    const [notice] = await server.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM notices WHERE entity_id = $1 AND template LIKE '%cancellation%'",
      [renewal.id],
    );
    assert.ok((notice?.n ?? 0) > 0, 'the unit and the customer are notified');

    // 5. The unit's renewals-due view: only an in-force contract ending within 30 local days, with days left.
    const dueId = `${server.tenant.contractId}_due`;
    await server.db.query(
      `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id, price_plan_code)
       VALUES ($1, $2, 'cloud_saas', 'active', $3::date - 355, $3::date + 10, 12, 'unt_ctkv1', 'cloud_saas_default')`,
      [dueId, server.tenant.customerId, today],
    );
    await loginAs(page, server.url, 'ctkv1@ekyc.local');
    await page.goto(`${server.url}/app/contracts`);
    // The unfiltered list shows the due contract too: wait for the filtered answer, not for the row.
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('renewal_due=true')),
      page.getByLabel('Cần gia hạn trong 30 ngày tới').check(),
    ]);
    await page.getByRole('row').filter({ hasText: dueId }).getByText('còn 10 ngày').waitFor();
    await page.getByRole('cell', { name: renewal.id, exact: true }).waitFor({ state: 'detached' });
    assert.deepEqual(browser.errors, []);
  });
});
