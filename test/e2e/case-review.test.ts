import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { photograph, randomPerson, renderCard } from '../fixtures/cards/render.ts';
import {
  a11yProblems,
  type Browser,
  launchBrowser,
  loginAs,
  type Server,
  screenshot,
  startServer,
} from './harness.ts';
import { sharedFile } from './media.ts';

/** Server-side face analysis and matching: slow on a loaded machine. */
const SERVER_WAIT = 120_000;

/**
 * A customer admin reviews a case: a face approved under one ID number comes back under another, the
 * rules send it to review; the admin opens it from the sessions list, sees the card portrait and the
 * selfie side by side (loaded from the decrypting image route), the scores and reasons, and declines.
 */
describe('case review in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  before(async () => {
    [server, browser] = await Promise.all([startServer('casereview'), launchBrowser()]);
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function faceSession(front: string, selfie: string, idNumber: string): Promise<string> {
    const auth = { authorization: `Bearer ${server.tenant.apiKey}` };
    const res = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ reference_id: `e2e-case-${idNumber}`, checks: ['face'], id_number: idNumber }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    for (const [path, file] of [
      ['documents/front', front],
      ['selfie', selfie],
    ] as const) {
      const form = new FormData();
      form.append('file', new Blob([await readFile(sharedFile(file))], { type: 'image/png' }), 'image.png');
      const up = await fetch(`${server.url}/v1/sessions/${id}/${path}`, {
        method: 'PUT',
        headers: auth,
        body: form,
      });
      assert.equal(up.status, 200, await up.text());
    }
    const sub = await fetch(`${server.url}/v1/sessions/${id}/submit`, { method: 'POST', headers: auth });
    assert.equal(sub.status, 202, await sub.text());
    // Processed by the service's job queue.
    for (let i = 0; i < SERVER_WAIT / 250; i++) {
      const [row] = await server.db.query<{ status: string }>(
        'SELECT status FROM verification_sessions WHERE id = $1',
        [id],
      );
      if (row?.status !== 'processing') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return id;
  }

  test('open a session in review from the list, see its images and scores, decline it', {
    timeout: 5 * SERVER_WAIT,
  }, async () => {
    await faceSession('faces/faceapi_bbt/amy/amy1.png', 'faces/faceapi_bbt/amy/amy2.png', '001090000001');
    const id = await faceSession(
      'faces/faceapi_bbt/amy/amy2.png',
      'faces/faceapi_bbt/amy/amy3.png',
      '001090000002',
    );
    const [row] = await server.db.query<{ status: string }>(
      'SELECT status FROM verification_sessions WHERE id = $1',
      [id],
    );
    assert.equal(row?.status, 'review', 'the same face under another ID number goes to review');

    browser.errors.length = 0;
    await loginAs(page, server.url, server.tenant.adminEmail);
    await page.getByRole('navigation').getByRole('link', { name: 'Phiên xác thực' }).click();
    await page.getByLabel('Trạng thái').selectOption('review');
    await page.getByRole('link', { name: `Xét duyệt ${id}` }).click();
    await page.waitForURL(`${server.url}/app/sessions/${id}`);

    await page.getByRole('heading', { name: /Hồ sơ xác thực/ }).waitFor();
    const pair = page.getByRole('region', { name: 'Đối chiếu khuôn mặt' });
    const card = pair.getByRole('img', { name: 'Mặt trước CCCD' });
    const selfie = pair.getByRole('img', { name: 'Ảnh chân dung' });
    await card.waitFor();
    await selfie.waitFor();
    // Decoded by the browser from the decrypting image route: the pixels are there.
    const loaded = `[...document.querySelectorAll('img[data-kind]')].map((i) => [i.dataset.kind, i.complete ? i.naturalWidth : 0])`;
    await page.waitForFunction(`${loaded}.every(([, w]) => w > 0)`);
    const widths = Object.fromEntries((await page.evaluate(loaded)) as Array<[string, number]>);
    assert.ok((widths.document_front ?? 0) > 0 && (widths.selfie ?? 0) > 0, JSON.stringify(widths));
    assert.match((await pair.textContent()) ?? '', /Độ tương đồng: \d+\.\d %/);
    assert.match((await page.getByRole('region', { name: 'Lý do' }).textContent()) ?? '', /DUPLICATE_FACE/);
    const scores = page.getByRole('region', { name: 'Điểm số so với ngưỡng' });
    assert.match((await scores.textContent()) ?? '', /Khớp khuôn mặt/);
    assert.match((await scores.textContent()) ?? '', /Trùng khuôn mặt với hồ sơ khác/);
    assert.deepEqual(await a11yProblems(page), []);
    await screenshot(page, 'case-review');

    // Each image shown was an audited view of personal data.
    const [audit] = await server.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'session.image_viewed' AND entity_id = $1`,
      [id],
    );
    assert.ok((audit?.n ?? 0) >= 2, `${audit?.n} image views audited`);

    await page.getByLabel('Ghi chú').fill('Cùng khuôn mặt, khác số CCCD');
    await page.getByRole('button', { name: 'Từ chối' }).click();
    await page.getByRole('region', { name: 'Kết quả xét duyệt' }).waitFor();
    assert.equal(
      await page.getByRole('button', { name: 'Từ chối' }).count(),
      0,
      'a decided case has no buttons',
    );
    assert.equal(await page.locator('h1 .badge').getAttribute('data-status'), 'declined');
    assert.match((await page.locator('h1').textContent()) ?? '', /Từ chối/, 'the status as its label');
    const api = await fetch(`${server.url}/v1/sessions/${id}`, {
      headers: { authorization: `Bearer ${server.tenant.apiKey}` },
    });
    const view = (await api.json()) as { status: string; review: { note: string } };
    assert.equal(view.status, 'declined');
    assert.equal(view.review.note, 'Cùng khuôn mặt, khác số CCCD');
    await screenshot(page, 'case-decided');

    // English too.
    await page.getByRole('button', { name: /Ngôn ngữ/ }).click();
    await page.getByRole('heading', { name: /Verification case/ }).waitFor();
    assert.deepEqual(browser.errors, []);
    await page.getByRole('button', { name: /Language/ }).click();
  });

  test("a card's detected fields are outlined on its images and light up with their rows", {
    timeout: 5 * SERVER_WAIT,
  }, async () => {
    const person = randomPerson(77, 'cccd_chip');
    const sides = {
      front: (await photograph(await renderCard(person, 'cccd_chip', 'front'), 'moderate', 3)).image,
      back: (await photograph(await renderCard(person, 'cccd_chip', 'back'), 'moderate', 4)).image,
    };
    const auth = { authorization: `Bearer ${server.tenant.apiKey}` };
    const res = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ reference_id: 'e2e-case-fields', checks: ['document'] }),
    });
    const { id } = (await res.json()) as { id: string };
    for (const side of ['front', 'back'] as const) {
      const form = new FormData();
      form.append('file', new Blob([sides[side]], { type: 'image/jpeg' }), `${side}.jpg`);
      const up = await fetch(`${server.url}/v1/sessions/${id}/documents/${side}`, {
        method: 'PUT',
        headers: auth,
        body: form,
      });
      assert.equal(up.status, 200, await up.text());
    }
    await fetch(`${server.url}/v1/sessions/${id}/submit`, { method: 'POST', headers: auth });
    for (let i = 0; i < SERVER_WAIT / 250; i++) {
      const [row] = await server.db.query<{ status: string }>(
        'SELECT status FROM verification_sessions WHERE id = $1',
        [id],
      );
      if (row?.status !== 'processing' && row?.status !== 'collecting') break;
      await new Promise((r) => setTimeout(r, 250));
    }

    browser.errors.length = 0;
    await loginAs(page, server.url, server.tenant.adminEmail);
    await page.goto(`${server.url}/app/sessions/${id}`);
    const front = page.getByTestId('regions-front');
    await front.waitFor();
    await page.getByTestId('regions-back').waitFor();
    // The overlay is in the image's own pixels: its viewBox is the stored photo's size.
    const size = await page.evaluate(
      `(() => { const i = document.querySelector('img[data-kind="document_front"]'); return [i.naturalWidth, i.naturalHeight]; })()`,
    );
    assert.equal(await front.getAttribute('viewBox'), `0 0 ${(size as number[]).join(' ')}`);
    const idBox = front.locator('g[data-field="id_number"]');
    const row = page.locator('tr[data-field="id_number"]');
    assert.match((await row.textContent()) ?? '', new RegExp(person.id_number));
    // Pointer on the box lights up the row; keyboard focus on the row's button lights up the box.
    await idBox.hover();
    await page.waitForFunction(
      `document.querySelector('tr[data-field="id_number"]').classList.contains('row-active')`,
    );
    await page.mouse.move(0, 0);
    await row.getByRole('button', { name: 'Mặt trước' }).focus();
    await page.waitForFunction(
      `document.querySelector('g[data-field="id_number"]').classList.contains('active')`,
    );
    // The box sits over the ID number the renderer printed: inside the image, a wide short strip.
    const [x, y, w, h] = ['x', 'y', 'width', 'height'].map(async (a) =>
      Number(await idBox.locator('rect').getAttribute(a)),
    );
    const [bx, by, bw, bh] = await Promise.all([x!, y!, w!, h!]);
    const [W, H] = size as [number, number];
    assert.ok(
      bx >= 0 && by >= 0 && bx + bw <= W && by + bh <= H && bw > 2 * bh,
      JSON.stringify([bx, by, bw, bh]),
    );
    assert.deepEqual(await a11yProblems(page), []);
    await screenshot(page, 'case-fields-outlined');
    assert.deepEqual(browser.errors, []);
  });
});
