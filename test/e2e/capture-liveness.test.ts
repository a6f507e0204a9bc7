import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { a11yProblems, type Browser, type Server, screenshot, startWithFakeCamera } from './harness.ts';
import { sharedFile } from './media.ts';

/** Waits on the server's recognition (liveness verdict, uploads checked): slow under load. */
const SERVER_WAIT = 120_000;

/** A face photo centred on a grey background, as one 640×480 camera frame. */
async function faceScene(photo: string): Promise<Buffer> {
  return sharp(photo)
    .resize(640, 480, { fit: 'contain', background: { r: 120, g: 118, b: 112 } })
    .png()
    .toBuffer();
}

/**
 * Records, in the page, every multipart body sent with fetch: the field names, text values and the
 * type and size of each file part (Playwright does not expose FormData bodies built from Blobs).
 */
const RECORD_FORMS = `(() => {
  const orig = window.fetch.bind(window);
  window.__forms = [];
  window.fetch = (input, init) => {
    if (init && init.body instanceof FormData) {
      const parts = [];
      for (const [name, v] of init.body.entries())
        parts.push(typeof v === 'string' ? { name, value: v } : { name, type: v.type, size: v.size });
      window.__forms.push({ url: String(input), parts });
    }
    return orig(input, init);
  };
})();`;

interface SentForm {
  url: string;
  parts: Array<{ name: string; value?: string; type?: string; size?: number }>;
}

/**
 * The hosted capture page runs the session's liveness challenge: Chromium's fake camera plays a face,
 * the page issues the challenge, shows each action's instruction over a progress ring while it
 * records frames, sends them with their timestamps, then the session is submitted and finishes.
 */
describe('hosted capture flow: liveness challenge in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let camera: Awaited<ReturnType<typeof startWithFakeCamera>>;

  before(async () => {
    camera = await startWithFakeCamera(
      'liveness',
      await faceScene(sharedFile('faces/faceapi_bbt/amy/amy1.png')),
    );
    ({ server, browser } = camera);
    page = await browser.newPage();
    await page.addInitScript(RECORD_FORMS);
    await page.setViewportSize({ width: 390, height: 844 });
  });
  after(async () => {
    await camera?.close();
  });

  test('selfie → liveness actions with instructions and a progress ring → frames at ≥ 5 fps → submitted', async () => {
    const key = server.tenant.apiKey;
    assert.ok(key, 'the seed issues a demo API key');
    const res = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        reference_id: `e2e-live-${Date.now()}`,
        checks: ['liveness'],
        redirect_url: 'https://bank.example/done',
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const session = (await res.json()) as { id: string; capture_url: string };
    browser.errors.length = 0;

    await page.goto(`${server.url}${new URL(session.capture_url).pathname}`);
    await page.getByLabel(/Tôi đã đọc và đồng ý/).check();
    await page.getByRole('button', { name: 'Tiếp tục' }).click();

    await page.getByRole('heading', { name: 'Ảnh chân dung' }).waitFor();
    await page
      .getByLabel('Tải ảnh lên thay vì dùng camera')
      .setInputFiles(sharedFile('faces/faceapi_bbt/amy/amy2.png'));

    await page.getByRole('heading', { name: 'Kiểm tra người thật' }).waitFor();
    await page.locator('video').waitFor();
    await page.waitForFunction("(document.querySelector('video')?.videoWidth ?? 0) > 0");
    assert.deepEqual(await a11yProblems(page), []);
    await screenshot(page, 'capture-liveness-intro');

    const challengeRes = page.waitForResponse(
      (r) => r.url().endsWith('/liveness') && r.request().method() === 'POST' && r.status() === 201,
    );
    const framesReq = page.waitForRequest(
      (r) =>
        r.url().endsWith('/liveness') &&
        (r.headers()['content-type'] ?? '').startsWith('multipart/form-data'),
      { timeout: 30_000 },
    );
    let refusedOnce = false;
    await page.route('**/liveness', async (route) => {
      const multipart = (route.request().headers()['content-type'] ?? '').startsWith('multipart/');
      if (!multipart || refusedOnce) return route.continue();
      refusedOnce = true;
      await route.fulfill({
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: 'No face in too many frames',
          status: 422,
          code: 'ERR_LIVENESS_NO_FACE',
        }),
      });
    });
    await page.getByRole('button', { name: 'Bắt đầu' }).click();
    const challenge = (await (await challengeRes).json()) as { id: string; actions: string[] };
    assert.ok(challenge.actions.length >= 2);

    // Each action of the challenge is shown, in order, with its instruction.
    const shown: string[] = [];
    const action = page.getByTestId('liveness-action');
    for (const a of challenge.actions) {
      await page.locator(`[data-testid="liveness-action"][data-action="${a}"]`).waitFor({ timeout: 10_000 });
      shown.push(a);
      if (shown.length === 1) await screenshot(page, 'capture-liveness-action');
    }
    assert.deepEqual(shown, challenge.actions);
    assert.ok((await action.textContent())?.trim(), 'the instruction has text');
    assert.ok(await page.getByRole('progressbar').count(), 'a progress ring is shown');

    await framesReq;
    const forms = (await page.evaluate('window.__forms')) as SentForm[];
    const form = forms.find((f) => f.url.endsWith('/liveness'));
    assert.ok(form, 'the page sent the frames as multipart');
    const frameParts = form.parts.filter((p) => p.name === 'frames');
    assert.ok(
      frameParts.every((p) => p.type === 'image/jpeg' && (p.size ?? 0) > 1000),
      'JPEG frames',
    );
    const sent = {
      challengeId: form.parts.find((p) => p.name === 'challenge_id')?.value ?? '',
      frames: frameParts.length,
      timestamps: JSON.parse(form.parts.find((p) => p.name === 'timestamps')?.value ?? '[]') as number[],
    };
    assert.equal(sent.challengeId, challenge.id, 'the frames answer the challenge just issued');
    assert.equal(sent.frames, sent.timestamps.length, 'one timestamp per frame');
    assert.ok(sent.frames >= 5, `${sent.frames} frames`);
    const span = (sent.timestamps.at(-1)! - sent.timestamps[0]!) / 1000;
    const fps = (sent.frames - 1) / span;
    assert.ok(fps >= 5, `captured at ${fps.toFixed(1)} fps`);
    for (let i = 1; i < sent.timestamps.length; i++)
      assert.ok(sent.timestamps[i]! > sent.timestamps[i - 1]!, 'timestamps increase');

    // A refused attempt (here: the server's answer replaced by a 422 problem once) shows the API's
    // message and a retry that issues a fresh challenge.
    await page
      .getByRole('alert')
      .filter({ hasText: 'No face in too many frames' })
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'capture-liveness-refused');
    const retryChallenge = page.waitForResponse(
      (r) => r.url().endsWith('/liveness') && r.request().method() === 'POST' && r.status() === 201,
    );
    await page.getByRole('button', { name: 'Thử lại' }).click();
    const second = (await (await retryChallenge).json()) as { id: string };
    assert.notEqual(second.id, challenge.id, 'a retry answers a new challenge');

    await page.getByText('Đã ghi nhận kiểm tra người thật.').waitFor({ timeout: SERVER_WAIT });
    const forms2 = (await page.evaluate('window.__forms')) as SentForm[];
    const last = forms2.filter((f) => f.url.endsWith('/liveness')).at(-1);
    assert.equal(last?.parts.find((p) => p.name === 'challenge_id')?.value, second.id);
    await screenshot(page, 'capture-liveness-done');
    await page.getByRole('button', { name: 'Tiếp tục' }).click();

    await page.getByRole('heading', { name: 'Kiểm tra trước khi gửi' }).waitFor();
    await page.getByRole('button', { name: 'Gửi xác thực' }).click();
    await page
      .getByRole('heading', { name: 'Đã gửi thành công' })
      .waitFor({ timeout: SERVER_WAIT })
      .catch(async (e) => {
        throw new Error(`${(e as Error).message}\npage says: ${await page.textContent('main')}`);
      });
    await screenshot(page, 'capture-liveness-submitted');

    // The session was accepted with its liveness answered (submit refuses a missing one).
    const api = await fetch(`${server.url}/v1/sessions/${session.id}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const view = (await api.json()) as { status: string };
    assert.ok(['processing', 'approved', 'declined', 'review'].includes(view.status), view.status);
    // The only console error allowed: the browser logging the refused attempt's 422.
    assert.deepEqual(
      browser.errors.filter((e) => !e.includes('status of 422')),
      [],
    );
    assert.equal(browser.errors.length, 1);
  });
});
