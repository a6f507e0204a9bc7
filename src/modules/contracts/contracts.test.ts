import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, createTestApp, type TestApp } from '../../../test/app.ts';
import { aUser, uniqueTaxCode } from '../../../test/builders.ts';
import { onBothEngines } from '../../../test/db.ts';
import { contractServices } from './contracts.routes.ts';

const MASTER_KEY = 'ab'.repeat(32);

function multipart(name: string, filename: string, data: Buffer) {
  const boundary = `----ekyc${Date.now()}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/pdf\r\n\r\n`;
  return {
    payload: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

async function notices(t: TestApp, template: string) {
  return t.db.query<{ recipient: string; body_text: string; channel: string }>(
    'SELECT recipient, body_text, channel FROM notices WHERE template = $1 ORDER BY recipient',
    [template],
  );
}

const me = (t: TestApp, key: string) =>
  t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${key}` } });

onBothEngines('contract workflows end to end: new, renewal, cancellation, with each role', async (engine) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ekyc-contracts-'));
  // Tuesday 24 Nov 2026, 10:00 in Hà Nội.
  const t = await createTestApp({ engine, env: { DATA_DIR: dataDir, EKYC_MASTER_KEY: MASTER_KEY } });
  try {
    const service = contractServices.get(t.ctx)!;
    await aUser(t.db, { role: 'unit_user', unitId: 'unt_ctkv2', email: 'ctkv2@test.local' });
    let ctkv1 = await t.login('ctkv1@ekyc.local');
    let ctkv2 = await t.login('ctkv2@test.local');
    const agent1 = await t.login('agent1@ekyc.local');
    let operator = await t.login('operator@ekyc.local');
    let admin = await t.login('admin@ekyc.local');
    // Sessions last 12 h: moving the clock by days means logging in again.
    const at = async (when: string) => {
      t.clock.set(when);
      ctkv1 = await t.login('ctkv1@ekyc.local');
      ctkv2 = await t.login('ctkv2@test.local');
      operator = await t.login('operator@ekyc.local');
      admin = await t.login('admin@ekyc.local');
    };
    const post = (c: Client, url: string, payload?: object) =>
      c.request({ method: 'POST', url, payload: payload ?? {} });

    // --- Customers: a unit registers its customer; others cannot see it.
    const taxCode = uniqueTaxCode();
    const created = await post(ctkv1, '/api/customers', {
      legal_name: 'Ngân hàng TMCP Thử Nghiệm',
      tax_code: taxCode,
      segment: 'bank',
      contact_email: 'it@thunghiem.vn',
      address: '1 Tràng Tiền, Hà Nội',
    });
    assert.equal(created.statusCode, 201, created.body);
    const customerId = created.json().id as string;
    assert.equal(created.json().managing_unit_id, 'unt_ctkv1');
    assert.equal(
      (await post(ctkv2, '/api/customers', { legal_name: 'X', tax_code: taxCode, segment: 'bank' })).json()
        .code,
      'ERR_CUSTOMER_EXISTS',
    );
    assert.equal(
      (
        await post(ctkv1, '/api/customers', { legal_name: 'X', tax_code: '0101234561', segment: 'bank' })
      ).json().code,
      'ERR_TAX_CODE_INVALID',
    );
    assert.equal(
      (await ctkv2.request({ method: 'GET', url: `/api/customers/${customerId}` })).statusCode,
      404,
    );
    assert.equal(
      (await agent1.request({ method: 'GET', url: `/api/customers/${customerId}` })).statusCode,
      404,
    );

    const declaration = {
      customer_id: customerId,
      edition: 'cloud_saas',
      signed_at: '2026-11-23',
      term_months: 12,
      price_plan_code: 'cloud_saas_default',
    };
    const foreign = await post(ctkv2, '/api/contracts', declaration);
    assert.equal(foreign.statusCode, 404, 'a CTKV cannot declare for another unit’s customer');
    assert.equal(
      (await post(ctkv1, '/api/contracts', { ...declaration, price_plan_code: undefined })).json().code,
      'ERR_CONTRACT_EDITION_TERMS',
    );
    assert.equal(
      (await post(ctkv1, '/api/contracts', { ...declaration, signed_at: '2026-12-01' })).json().code,
      'ERR_CONTRACT_DATES',
      'a contract cannot be declared before it is signed',
    );

    // --- Business calendar: admins edit, everyone reads.
    const unit = ctkv1;
    const tet = (await unit.request({ method: 'GET', url: '/api/calendar/days?year=2026' })).json().items;
    assert.ok(tet.some((d: { day: string }) => d.day === '2026-02-17'));
    const body = { kind: 'working_day', name_vi: 'Làm bù', name_en: 'Make-up working day' };
    assert.equal(
      (await unit.request({ method: 'PUT', url: '/api/calendar/days/2026-03-07', payload: body })).statusCode,
      403,
    );
    assert.equal(
      (await admin.request({ method: 'PUT', url: '/api/calendar/days/2026-03-07', payload: body }))
        .statusCode,
      200,
    );
    assert.equal(
      (await admin.request({ method: 'PUT', url: '/api/calendar/days/2026-02-30', payload: body })).json()
        .code,
      'ERR_CALENDAR_DAY',
    );
    assert.equal(
      (await admin.request({ method: 'DELETE', url: '/api/calendar/days/2026-02-20' })).statusCode,
      204,
    );
    const after = (await unit.request({ method: 'GET', url: '/api/calendar/days?year=2026' })).json().items;
    assert.ok(
      after.some((d: { day: string; kind: string }) => d.day === '2026-03-07' && d.kind === 'working_day'),
    );
    assert.ok(!after.some((d: { day: string }) => d.day === '2026-02-20'));

    // --- 1. New: declare → operator task → provision → one-time link → delivery → active.
    const declared = await post(ctkv1, '/api/contracts', declaration);
    assert.equal(declared.statusCode, 201, declared.body);
    const contract = declared.json();
    assert.equal(contract.status, 'declared');
    assert.equal(contract.end_date, '2027-11-22');
    assert.equal((await post(ctkv1, '/api/contracts', declaration)).json().code, 'ERR_CONTRACT_EXISTS');

    const opTasks = (await operator.request({ method: 'GET', url: '/api/tasks?status=open' })).json().items;
    const provisionTask = opTasks.find((x: { contract_id: string }) => x.contract_id === contract.id);
    assert.equal(provisionTask.kind, 'provision_account');
    // 1 working day after Tuesday 24/11 → Wednesday 25/11 17:00 local.
    assert.equal(provisionTask.due_at, '2026-11-25T10:00:00.000Z');
    assert.equal((await ctkv2.request({ method: 'GET', url: '/api/tasks' })).json().items.length, 0);
    assert.equal((await post(ctkv1, `/api/contracts/${contract.id}/provision`)).statusCode, 403);

    const provisioned = await post(operator, `/api/contracts/${contract.id}/provision`);
    assert.equal(provisioned.statusCode, 200, provisioned.body);
    const linkUrl = provisioned.json().link_url as string;
    assert.match(new URL(linkUrl).pathname, /^\/app\/account-links\//, 'the unit gets the portal page');
    const linkPath = new URL(linkUrl).pathname.replace(/^\/app\//, '/api/');
    const unitMail = await notices(t, 'contract.provisioned');
    assert.ok(unitMail.some((n) => n.recipient === 'ctkv1@ekyc.local' && n.body_text.includes(linkUrl)));

    assert.equal((await ctkv2.request({ method: 'GET', url: linkPath })).json().code, 'ERR_LINK_INVALID');
    const opened = await ctkv1.request({ method: 'GET', url: linkPath });
    assert.equal(opened.statusCode, 200, opened.body);
    const apiKey = opened.json().api_key as string;
    assert.match(apiKey, /^mfk_/);
    assert.equal(opened.json().admin_login, 'it@thunghiem.vn');
    const again = await ctkv1.request({ method: 'GET', url: linkPath });
    assert.equal(again.statusCode, 410);
    assert.equal(again.json().code, 'ERR_LINK_USED');
    const allNotices = await t.db.query<{ body_text: string }>('SELECT body_text FROM notices');
    assert.ok(
      allNotices.every((n) => !n.body_text.includes(apiKey)),
      'no secret in any notice',
    );

    // Not active yet: the key does not work.
    assert.equal((await me(t, apiKey)).json().code, 'ERR_CONTRACT_INACTIVE');

    // Signed contract PDF, stored encrypted.
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const up = await ctkv1.request({
      method: 'POST',
      url: `/api/contracts/${contract.id}/signed-file`,
      ...multipart('file', 'hop-dong.pdf', pdf),
    });
    assert.equal(up.statusCode, 201, up.body);
    const notPdf = await ctkv1.request({
      method: 'POST',
      url: `/api/contracts/${contract.id}/signed-file`,
      ...multipart('file', 'x.pdf', Buffer.from('GIF89a not a pdf')),
    });
    assert.equal(notPdf.json().code, 'ERR_FILE_NOT_PDF');
    const down = await ctkv1.request({ method: 'GET', url: `/api/contracts/${contract.id}/signed-file` });
    assert.deepEqual(down.rawPayload, pdf);

    const delivered = await post(ctkv1, `/api/contracts/${contract.id}/deliver`, { channel: 'letter' });
    assert.equal(delivered.statusCode, 200, delivered.body);
    assert.equal(delivered.json().status, 'active');
    const letter = await ctkv1.request({ method: 'GET', url: `/api/contracts/${contract.id}/letter.pdf` });
    assert.equal(letter.headers['content-type'], 'application/pdf');
    assert.equal(letter.rawPayload.subarray(0, 5).toString(), '%PDF-');
    assert.equal((await me(t, apiKey)).statusCode, 200);

    const timeline = (
      await ctkv1.request({ method: 'GET', url: `/api/contracts/${contract.id}/timeline` })
    ).json().items;
    assert.deepEqual(
      timeline.map((e: { event: string }) => e.event),
      ['declared', 'provisioned', 'account_details_opened', 'signed_file_uploaded', 'activated'],
    );
    assert.ok(timeline.every((e: { actor_id: string | null }) => e.actor_id));

    // --- Overdue: a second declaration left alone past its deadline is listed and escalated once.
    const other = await post(ctkv1, '/api/customers', {
      legal_name: 'Công ty Chứng khoán Thử',
      tax_code: uniqueTaxCode(),
      segment: 'securities',
    });
    const second = (
      await post(ctkv1, '/api/contracts', { ...declaration, customer_id: other.json().id })
    ).json();
    await at('2026-11-26T02:00:00Z');
    const overdue = (await operator.request({ method: 'GET', url: '/api/tasks?overdue=true' })).json().items;
    assert.deepEqual(
      overdue.map((x: { contract_id: string }) => x.contract_id),
      [second.id],
    );
    assert.equal(await service.escalateOverdue(), 1);
    assert.equal(await service.escalateOverdue(), 0);
    assert.deepEqual(
      (await notices(t, 'task.escalation')).map((n) => n.recipient),
      ['admin@ekyc.local'],
    );

    // --- 2. Renewal: reminders once per milestone, priority of the original unit.
    await at('2027-10-23T03:00:00Z');
    const first = await service.runDaily();
    const retry = await service.runDaily();
    assert.ok(first.reminders >= 1);
    assert.equal(retry.reminders, 0);
    const m1 = (await notices(t, 'contract.renewal_reminder_m1')).filter((n) =>
      n.body_text.includes(contract.id),
    );
    assert.deepEqual(m1.map((n) => n.recipient).sort(), ['ctkv1@ekyc.local', 'it@thunghiem.vn']);
    assert.equal(
      (await ctkv1.request({ method: 'GET', url: `/api/contracts/${contract.id}` })).json().status,
      'expiring',
    );
    // Within the original unit's priority window another unit cannot declare the renewal.
    const renewal = { ...declaration, signed_at: '2027-10-23', renewal_of: contract.id };
    assert.equal((await post(ctkv2, '/api/contracts', renewal)).json().code, 'ERR_RENEWAL_PRIORITY');
    await at('2027-11-16T03:00:00Z');
    await service.runDaily();
    await service.runDaily();
    const d7 = (await notices(t, 'contract.renewal_reminder_d7')).filter((n) =>
      n.body_text.includes(contract.id),
    );
    assert.equal(d7.length, 2);

    assert.equal(
      (
        await post(ctkv1, `/api/contracts/${contract.id}/decline-renewal`, {
          reason: 'Khách chọn đơn vị khác',
        })
      ).statusCode,
      200,
    );
    const renewed = await post(ctkv2, '/api/contracts', renewal);
    assert.equal(renewed.statusCode, 201, renewed.body);
    assert.equal(renewed.json().start_date, '2027-11-23');
    const activated = await post(operator, `/api/contracts/${renewed.json().id}/activate-renewal`);
    assert.equal(activated.json().status, 'active');
    assert.equal(
      (await operator.request({ method: 'GET', url: `/api/contracts/${contract.id}` })).json().status,
      'renewed',
    );
    assert.ok((await notices(t, 'contract.renewed')).some((n) => n.recipient === 'it@thunghiem.vn'));
    assert.equal(
      (await ctkv2.request({ method: 'GET', url: `/api/customers/${customerId}` })).statusCode,
      200,
    );

    // --- 3. Cancellation: effective 1 Jan 2028; the key stops at local midnight.
    await at('2027-12-10T03:00:00Z');
    const cancel = await post(ctkv2, `/api/contracts/${renewed.json().id}/cancel`, {
      effective_date: '2028-01-01',
      requested_on: '2027-12-09',
      reason: 'Khách hàng ngừng sử dụng',
    });
    assert.equal(cancel.statusCode, 200, cancel.body);
    assert.equal(cancel.json().status, 'cancellation_requested');
    assert.equal(
      (await post(operator, `/api/contracts/${renewed.json().id}/confirm-cancellation`)).statusCode,
      200,
    );
    assert.ok((await notices(t, 'contract.cancellation')).some((n) => n.recipient === 'it@thunghiem.vn'));
    t.clock.set('2027-12-31T16:59:00Z'); // 23:59 on 31 Dec in Hà Nội
    assert.equal((await me(t, apiKey)).statusCode, 200);
    t.clock.set('2027-12-31T17:00:00Z'); // 00:00 on 1 Jan 2028
    const refused = await me(t, apiKey);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().code, 'ERR_CONTRACT_INACTIVE');
    await service.runDaily();
    admin = await t.login('admin@ekyc.local');
    assert.equal(
      (await admin.request({ method: 'GET', url: `/api/contracts/${renewed.json().id}` })).json().status,
      'cancelled',
    );
  } finally {
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
