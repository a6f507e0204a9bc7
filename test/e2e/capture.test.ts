import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { a11yProblems, type Browser, type Server, screenshot, startWithFakeCamera } from './harness.ts';
import { sharedFile, syntheticCardScene } from './media.ts';

/** Waits on the server's recognition (uploads checked, documents read, faces matched): slow under load. */
const SERVER_WAIT = 120_000;
/** Waits on the page alone. */
const UI_WAIT = 30_000;

/**
 * Runs the page's stopped clock one capture-loop tick (150 ms) at a time until `done`: each card side
 * is then shot when the test lets it, not while the test is still busy with the previous one.
 */
async function tickUntil(page: Page, done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + UI_WAIT;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${UI_WAIT} ms of page ticks`);
    await page.clock.runFor(150);
  }
}

/**
 * The hosted capture flow end to end: a customer's back end opens a session with its API key, the
 * applicant opens `capture_url` on a phone-sized Chromium whose fake camera plays a synthetic card,
 * the card sides are auto-captured, the selfie goes through the upload fallback, the session is
 * submitted and processed by the job queue, and the page shows the finished result.
 */
describe('hosted capture flow in Chromium with a fake camera', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let camera: Awaited<ReturnType<typeof startWithFakeCamera>>;

  before(async () => {
    camera = await startWithFakeCamera(
      'capture',
      await syntheticCardScene(sharedFile('faces/faceapi_bbt/amy/amy1.png')),
    );
    ({ server, browser } = camera);
    page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
  });
  after(async () => {
    await camera?.close();
  });

  async function openSession(checks: string[]): Promise<{ id: string; captureUrl: string } | null> {
    const key = server.tenant.apiKey;
    assert.ok(key, 'the seed issues a demo API key');
    const res = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        reference_id: `e2e-${Date.now()}`,
        checks,
        redirect_url: 'https://bank.example/done',
      }),
    });
    if (res.status === 400) return null; // a check whose engine is not in this build
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as { id: string; capture_url: string };
    const url = new URL(body.capture_url);
    return { id: body.id, captureUrl: `${server.url}${url.pathname}` };
  }

  test('consent → card front and back by camera → selfie by upload → submitted and processed', async (t) => {
    const diagnostic = (m: string) => t.diagnostic(m);
    const session = (await openSession(['document', 'face'])) ?? (await openSession(['face']));
    assert.ok(session, 'a session can be opened');
    browser.errors.length = 0;

    // The card sides shoot themselves once the camera's card is steady for 6 ticks; with the page's
    // clock stopped, the test sees and photographs each side however slow the machine is.
    await page.clock.install();
    await page.goto(session.captureUrl);
    await page.clock.pauseAt(Date.now() + 1000);
    await page.getByRole('heading', { name: 'Đồng ý xử lý dữ liệu cá nhân' }).waitFor();
    assert.match((await page.textContent('main')) ?? '', /Nghị định 13\/2023/);
    const go = page.getByRole('button', { name: 'Tiếp tục' });
    assert.equal(await go.isDisabled(), true, 'consent is required');
    await screenshot(page, 'capture-consent');
    assert.deepEqual(await a11yProblems(page), []);
    await page.getByLabel(/Tôi đã đọc và đồng ý/).check();
    await go.click();

    const info = (await (
      await fetch(`${server.url}/v1/capture/${session.captureUrl.split('/').pop()}`)
    ).json()) as {
      checks: string[];
    };
    if (info.checks.includes('document')) {
      for (const side of ['Mặt trước CCCD', 'Mặt sau CCCD']) {
        const heading = page.getByRole('heading', { name: side });
        await heading.waitFor({ timeout: UI_WAIT });
        await page.locator('video').waitFor({ timeout: UI_WAIT });
        const hint = page
          .getByRole('status')
          .filter({ hasText: /Tốt|Quá tối|Bị lóa|Giữ yên/ })
          .first();
        await tickUntil(page, () => hint.isVisible(), `${side}: a live hint`);
        await screenshot(page, `capture-${side.includes('trước') ? 'front' : 'back'}`);
        // Auto-capture: the fake camera's card is sharp and well lit, so the page shoots by itself.
        await tickUntil(page, async () => !(await heading.isVisible()), `${side}: auto-capture`);
      }
    }
    await page.clock.resume();
    await page.getByRole('heading', { name: 'Ảnh chân dung' }).waitFor({ timeout: UI_WAIT });
    await screenshot(page, 'capture-selfie');
    await page
      .getByLabel('Tải ảnh lên thay vì dùng camera')
      .setInputFiles(sharedFile('faces/faceapi_bbt/amy/amy2.png'));

    await page.getByRole('heading', { name: 'Kiểm tra trước khi gửi' }).waitFor();
    await screenshot(page, 'capture-review');
    await page.getByRole('button', { name: 'Gửi xác thực' }).click();
    await page.getByRole('heading', { name: 'Đã gửi thành công' }).waitFor({ timeout: SERVER_WAIT });
    assert.equal(
      await page.getByRole('link', { name: /Quay lại trang/ }).getAttribute('href'),
      'https://bank.example/done',
    );
    await screenshot(page, 'capture-submitted');

    // The job queue runs the checks; the page polls until the session is finished.
    const status = page.getByTestId('capture-status');
    const finished = await status.waitFor({ timeout: SERVER_WAIT }).then(
      () => true,
      () => false,
    );
    const api = await fetch(`${server.url}/v1/sessions/${session.id}`, {
      headers: { authorization: `Bearer ${server.tenant.apiKey}` },
    });
    const apiStatus = ((await api.json()) as { status: string }).status;
    if (finished) {
      const final = await status.getAttribute('data-status');
      assert.ok(['approved', 'declined', 'review'].includes(final ?? ''), `finished, got ${final}`);
      assert.equal(apiStatus, final, 'the API agrees with the page');
      await screenshot(page, 'capture-done');
    } else {
      // Submitted but not processed in time: the page keeps saying so, the API agrees.
      assert.equal(apiStatus, 'processing');
      await page.getByText('Đang xử lý kết quả').waitFor();
      diagnostic(
        `session still processing after ${SERVER_WAIT / 1000} s (processing is the sessions module's job)`,
      );
    }
    assert.deepEqual(browser.errors, []);
  });

  test('an unknown capture link says so instead of showing a blank page', async () => {
    await page.goto(`${server.url}/capture/cap_${'x'.repeat(30)}`);
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /không hợp lệ|hết hạn/);
  });
});
