import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Client, createTestApp, DEMO_PASSWORD, type TestApp } from '../../../test/app.ts';
import { onBothEngines } from '../../../test/db.ts';
import { hashPassword } from '../accounts/passwords.ts';
import { supportServiceFor } from './support.routes.ts';

const DEMO = 'cus_demobank';
const H = 3_600_000;

async function addOtherCustomer(t: TestApp) {
  await t.db.query(
    `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, contact_email)
     VALUES ('cus_other', 'Công ty Bảo hiểm Khác', '0309999999', 'insurance', 'unt_agent1', 'it@other.vn')`,
  );
  await t.db.query(
    `INSERT INTO users (id, email, full_name, password_hash, role, customer_id)
     VALUES ('usr_otheradmin', 'admin@other.vn', 'Quản trị Khác', $1, 'customer_admin', 'cus_other')`,
    [await hashPassword(DEMO_PASSWORD)],
  );
}

async function post(c: Client, url: string, payload: object, status = 200) {
  const res = await c.request({ method: 'POST', url, payload });
  assert.equal(res.statusCode, status, `${url}: ${res.body}`);
  return res.json();
}
const act = (c: Client, id: string, body: object, status = 200) =>
  post(c, `/api/support/requests/${id}/transitions`, body, status);
const notices = (t: TestApp, id: string, template: string) =>
  t.db.query<{ recipient: string; body_text: string }>(
    'SELECT recipient, body_text FROM notices WHERE entity_id = $1 AND template = $2',
    [id, template],
  );

/** A technical hotline call goes received → callback → resolved → reopened → closed. */
async function technicalCallFlow(t: TestApp) {
  // Tuesday 2026-11-24 10:00 Hà Nội.
  t.clock.set('2026-11-24T03:00:00Z');
  {
    let agent = await t.login('support@ekyc.local');
    const found = await agent.request({ method: 'GET', url: '/api/customers?q=0101234560' });
    assert.equal(found.json().items[0].id, DEMO);

    const call = await post(
      agent,
      '/api/support/calls',
      {
        caller_name: 'Hoàng Minh Khách',
        caller_phone: '0912345678',
        customer_id: DEMO,
        choice: 'technical',
        category: 'api_error',
        priority: 'high',
        description: 'API trả về lỗi 500 khi gửi ảnh CCCD',
      },
      201,
    );
    assert.equal(call.status, 'received');
    assert.equal(call.queue, 'technical');
    assert.equal(call.hotline, '0896151617');
    assert.equal(call.channel, 'phone');
    assert.equal(call.sla.running, true);
    const id = call.id as string;

    assert.equal((await act(agent, id, { action: 'start', note: 'checking logs' })).status, 'in_progress');
    // Callback agreed for Wednesday 09:00 local.
    t.clock.advance(H);
    const cb = await act(agent, id, { action: 'schedule_callback', callback_at: '2026-11-25T02:00:00Z' });
    assert.equal(cb.status, 'callback_scheduled');
    assert.equal(cb.sla.running, false);
    assert.ok(cb.first_response_at, 'a scheduled callback is the first response');
    const service = supportServiceFor(t.ctx);
    t.clock.set('2026-11-25T01:00:00Z'); // 08:00, an hour before: not yet
    assert.equal(await service.remindCallbacks(), 0);
    t.clock.set('2026-11-25T01:35:00Z'); // 25 minutes before
    assert.equal(await service.remindCallbacks(), 1);
    assert.equal(await service.remindCallbacks(), 0, 'one reminder per callback');
    const reminders = await notices(t, id, 'support.callback_reminder');
    assert.deepEqual(
      reminders.map((n) => n.recipient),
      ['support@ekyc.local'],
    );

    t.clock.set('2026-11-25T02:05:00Z');
    agent = await t.login('support@ekyc.local'); // a new day, a new session
    await act(agent, id, { action: 'start', note: 'called back' });
    t.clock.advance(H / 2);
    const resolved = await act(agent, id, {
      action: 'resolve',
      note: 'image too large, customer resizes',
      resolution: 'Ảnh vượt quá 10 MB; vui lòng nén ảnh trước khi gửi.',
    });
    // A phone caller is told by phone: the request waits for the agent's call.
    assert.equal(resolved.status, 'resolved');
    assert.equal((await notices(t, id, 'support.resolved')).length, 0);
    // SLA counted 1 h on Tuesday (10:00–11:00) and 30 min on Wednesday; the callback wait is paused.
    assert.equal(resolved.sla.resolution.hours, 1.5);
    const told = await act(agent, id, { action: 'notified', note: 'called the customer' });
    assert.equal(told.status, 'awaiting_review');

    const reopened = await post(agent, `/api/support/requests/${id}/review`, {
      satisfied: false,
      comment: 'vẫn lỗi',
    });
    assert.equal(reopened.status, 'reopened');
    assert.equal(reopened.reopen_count, 1);
    assert.equal(reopened.sla.running, true);
    await act(agent, id, { action: 'start' });
    await act(agent, id, {
      action: 'resolve',
      resolution: 'Đã sửa lỗi phía máy chủ.',
      told_customer: true,
    });
    const closed = await post(agent, `/api/support/requests/${id}/review`, { satisfied: true });
    assert.equal(closed.status, 'closed');
    assert.equal(closed.close_reason, 'satisfied');
    assert.equal(closed.reopen_count, 1);

    const statuses = (
      closed.events as Array<{ kind: string; to_status: string | null; actor: { id: string } }>
    )
      .filter((e) => e.kind === 'status' || e.kind === 'created')
      .map((e) => e.to_status);
    assert.deepEqual(statuses, [
      'received',
      'in_progress',
      'callback_scheduled',
      'in_progress',
      'resolved',
      'awaiting_review',
      'reopened',
      'in_progress',
      'resolved',
      'awaiting_review',
      'closed',
    ]);
    // Who and when on every change: the agent, or the system for the callback reminder.
    for (const e of closed.events as Array<{
      at: string;
      kind: string;
      actor: { type: string; id: string | null };
    }>) {
      assert.ok(e.at);
      if (e.actor.type === 'system') assert.equal(e.kind, 'notice');
      else assert.equal(e.actor.id, 'usr_support');
    }
    // Wrong moves are refused with a stable code.
    const bad = await agent.request({
      method: 'POST',
      url: `/api/support/requests/${id}/transitions`,
      payload: { action: 'start' },
    });
    assert.equal(bad.statusCode, 409);
    assert.equal(bad.json().code, 'ERR_SUPPORT_TRANSITION');
  }
}

/** A consulting call ends as a sales lead for the managing unit. */
async function consultingLead(t: TestApp) {
  t.clock.set('2026-11-24T03:00:00Z');
  {
    const agent = await t.login('support@ekyc.local');
    const call = await post(
      agent,
      '/api/support/calls',
      {
        caller_name: 'Khách',
        caller_phone: '0912 345 678',
        customer_id: DEMO,
        choice: 'consulting',
        category: 'pricing',
        description: 'Hỏi giá gói on-premise',
      },
      201,
    );
    assert.equal(call.hotline, '0936110116');
    const lead = await post(agent, `/api/support/requests/${call.id}/lead`, {
      note: 'wants an on-premise quote',
    });
    assert.equal(lead.status, 'closed');
    assert.equal(lead.close_reason, 'sales_lead');
    assert.equal(lead.sales_lead_unit_id, 'unt_ctkv1');
    const sent = await notices(t, call.id, 'support.sales_lead');
    assert.ok(sent.some((n) => n.recipient === 'ctkv1@ekyc.local'));
    // The unit sees the request of its customer.
    const unit = await t.login('ctkv1@ekyc.local');
    assert.equal(
      (await unit.request({ method: 'GET', url: `/api/support/requests/${call.id}` })).statusCode,
      200,
    );
    // A technical request cannot become a lead.
    const tech = await post(
      agent,
      '/api/support/calls',
      { caller_name: 'K', caller_phone: '0912345678', choice: 'technical', category: 'x', description: 'y' },
      201,
    );
    const r = await agent.request({
      method: 'POST',
      url: `/api/support/requests/${tech.id}/lead`,
      payload: { note: 'n' },
    });
    assert.equal(r.json().code, 'ERR_SUPPORT_LEAD_QUEUE');
  }
}

/** A customer admin sees only its own requests and never internal notes; units see their customers'. */
async function customerScoping(t: TestApp) {
  {
    await addOtherCustomer(t);
    const customer = await t.login('admin@demobank.vn');
    const filed = await post(
      customer,
      '/api/support/requests',
      {
        category: 'face_match',
        subject: 'Tỷ lệ khớp khuôn mặt thấp',
        description: 'Nhiều giao dịch bị từ chối',
        verification_session_id: 'ses_abc123',
      },
      201,
    );
    assert.equal(filed.channel, 'portal');
    assert.equal(filed.queue, 'technical');
    assert.equal(filed.sla, undefined, 'no SLA internals for the customer');
    const agent = await t.login('support@ekyc.local');
    await post(agent, `/api/support/requests/${filed.id}/notes`, {
      body: 'SECRET internal: threshold issue',
    });
    await post(agent, `/api/support/requests/${filed.id}/replies`, { body: 'Chúng tôi đang kiểm tra' });

    const seen = (await customer.request({ method: 'GET', url: `/api/support/requests/${filed.id}` })).json();
    assert.ok(!JSON.stringify(seen).includes('SECRET'), 'internal note hidden');
    assert.ok(seen.events.some((e: { body: string }) => e.body === 'Chúng tôi đang kiểm tra'));
    assert.equal(seen.assigned_to, undefined);
    assert.ok(seen.events.every((e: { actor: { id: unknown } }) => e.actor.id === null));
    // A customer admin cannot write internal notes or move the request.
    const note = await customer.request({
      method: 'POST',
      url: `/api/support/requests/${filed.id}/notes`,
      payload: { body: 'x' },
    });
    assert.equal(note.statusCode, 403);

    const other = await t.login('admin@other.vn');
    const res = await other.request({ method: 'GET', url: `/api/support/requests/${filed.id}` });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'ERR_SUPPORT_NOT_FOUND');
    assert.equal(
      (await other.request({ method: 'GET', url: '/api/support/requests' })).json().items.length,
      0,
    );
    const reply = await other.request({
      method: 'POST',
      url: `/api/support/requests/${filed.id}/replies`,
      payload: { body: 'x' },
    });
    assert.equal(reply.statusCode, 404);
    // A unit that does not manage the customer does not see it either.
    const agent1 = await t.login('agent1@ekyc.local');
    assert.equal(
      (await agent1.request({ method: 'GET', url: `/api/support/requests/${filed.id}` })).statusCode,
      404,
    );
  }
}

onBothEngines(
  'the desk end to end: technical call with callback and reopen, consulting lead, customer scoping',
  async (engine) => {
    const t = await createTestApp({ engine });
    try {
      await technicalCallFlow(t);
      await consultingLead(t);
      await customerScoping(t);
    } finally {
      await t.close();
    }
  },
);

describe('support desk on one database', () => {
  let t: TestApp;
  let agent: Client;
  let customer: Client;
  before(async () => {
    t = await createTestApp();
    await at('2026-11-24T03:00:00Z');
  });
  /** Moves the clock and logs in again (sessions last 12 hours). */
  async function at(iso: string) {
    t.clock.set(iso);
    agent = await t.login('support@ekyc.local');
    customer = await t.login('admin@demobank.vn');
  }
  after(() => t.close());

  const file = async (subject = 'Lỗi đọc QR', priority = 'normal') =>
    post(customer, '/api/support/requests', { category: 'qr', subject, description: 'd', priority }, 201);

  test('a portal request resolved by email closes by itself after 3 working days without review', async () => {
    await at('2026-11-26T03:00:00Z'); // Thursday 10:00
    const r = await file();
    const resolved = await act(agent, r.id, { action: 'resolve', resolution: 'Đã cập nhật thư viện QR' });
    assert.equal(resolved.status, 'awaiting_review', 'the notice went by email, the review is awaited');
    const sent = await notices(t, r.id, 'support.resolved');
    assert.deepEqual(
      sent.map((n) => n.recipient),
      ['admin@demobank.vn'],
    );
    const service = supportServiceFor(t.ctx);
    await at('2026-12-01T09:00:00Z'); // Tuesday 16:00: Fri, Mon, Tue = 3rd working day not yet over
    assert.equal(await service.autoClose(), 0);
    await at('2026-12-01T10:01:00Z'); // Tuesday 17:01
    assert.equal(await service.autoClose(), 1);
    const done = (await agent.request({ method: 'GET', url: `/api/support/requests/${r.id}` })).json();
    assert.equal(done.status, 'closed');
    assert.equal(done.close_reason, 'auto_closed');
    assert.equal(await service.autoClose(), 0);
  });

  test('waiting for the customer pauses the SLA; the customer answer restarts it', async () => {
    await at('2026-11-24T02:00:00Z'); // Tuesday 09:00
    const r = await file();
    t.clock.advance(H);
    const waiting = await act(agent, r.id, { action: 'wait_customer', note: 'need a sample image' });
    assert.equal(waiting.sla.running, false);
    assert.equal(waiting.sla.first_response.hours, 1);
    t.clock.advance(5 * H); // paused
    const answered = await post(customer, `/api/support/requests/${r.id}/replies`, { body: 'Đã gửi ảnh' });
    assert.equal(answered.status, 'in_progress');
    t.clock.advance(H);
    const now = (await agent.request({ method: 'GET', url: `/api/support/requests/${r.id}` })).json();
    assert.equal(now.sla.elapsed_hours, 2);
    assert.equal(now.sla.running, true);
  });

  test('first-response SLA runs across a weekend and escalates once when breached', async () => {
    await at('2026-11-27T09:00:00Z'); // Friday 16:00
    const r = await file('Cuối tuần', 'normal'); // technical/normal: 4 h to first response
    const v = (await agent.request({ method: 'GET', url: `/api/support/requests/${r.id}` })).json();
    assert.equal(v.sla.first_response.due_at, '2026-11-30T04:00:00.000Z'); // Monday 11:00
    const service = supportServiceFor(t.ctx);
    await at('2026-11-30T03:59:00Z');
    const before = (await agent.request({ method: 'GET', url: '/api/support/sla/breaches' })).json().items;
    assert.ok(!before.some((b: { id: string }) => b.id === r.id));
    await at('2026-11-30T04:01:00Z');
    assert.ok((await service.scanSla()) >= 1);
    const breaches = (await agent.request({ method: 'GET', url: '/api/support/sla/breaches' })).json().items;
    const mine = breaches.find((b: { id: string }) => b.id === r.id);
    assert.equal(mine.first_response_breached, true);
    assert.equal(mine.escalated, true);
    assert.equal((await notices(t, r.id, 'support.sla_escalation')).length, 1);
    await service.scanSla();
    assert.equal((await notices(t, r.id, 'support.sla_escalation')).length, 1, 'escalated once');
  });

  test('SLA and callbacks skip the Tết 2026 break', async () => {
    await at('2026-02-13T08:00:00Z'); // Friday 13/2 15:00, the last working day before Tết
    const r = await file('Trước Tết', 'urgent'); // technical/urgent: 1 h first response, 4 h resolution
    const v = (await agent.request({ method: 'GET', url: `/api/support/requests/${r.id}` })).json();
    assert.equal(v.sla.first_response.due_at, '2026-02-13T09:00:00.000Z');
    assert.equal(v.sla.resolution.due_at, '2026-02-23T03:00:00.000Z'); // 2 h on Friday, 2 h on Mon 23/2 → 10:00
    // A callback cannot be agreed for a day of the Tết break, nor outside desk hours.
    for (const at of ['2026-02-17T02:00:00Z', '2026-02-23T11:00:00Z', '2026-02-13T07:00:00Z']) {
      const res = await agent.request({
        method: 'POST',
        url: `/api/support/requests/${r.id}/transitions`,
        payload: { action: 'schedule_callback', callback_at: at },
      });
      assert.equal(res.json().code, 'ERR_SUPPORT_CALLBACK_TIME', at);
    }
    await at('2026-02-13T08:30:00Z');
    const cb = await act(agent, r.id, { action: 'schedule_callback', callback_at: '2026-02-23T02:00:00Z' });
    assert.equal(cb.sla.elapsed_hours, 0.5);
    const service = supportServiceFor(t.ctx);
    await at('2026-02-18T02:00:00Z'); // during Tết: nothing runs, nothing is breached
    assert.equal(await service.remindCallbacks(), 0);
    const during = (await agent.request({ method: 'GET', url: `/api/support/requests/${r.id}` })).json();
    assert.equal(during.sla.resolution.breached, false);
    await at('2026-02-23T01:31:00Z'); // Monday 08:31, 29 minutes before the callback
    assert.equal(await service.remindCallbacks(), 1);
    await at('2026-02-23T02:00:00Z');
    await act(agent, r.id, { action: 'start' });
    await at('2026-02-23T05:00:00Z'); // 3 h later: 0.5 + 3 = 3.5 h of 4
    const later = (await agent.request({ method: 'GET', url: `/api/support/requests/${r.id}` })).json();
    assert.equal(later.sla.elapsed_hours, 3.5);
    assert.equal(later.sla.resolution.breached, false);
  });

  test('an email to the support address becomes a request of the sender’s customer, once', async () => {
    await at('2026-11-24T03:00:00Z');
    const raw = [
      'From: =?utf-8?B?UXXhuqNuIHRy4buLIE5nw6JuIGjDoG5n?= <admin@demobank.vn>',
      'To: hotro@ekyc.local',
      'Subject: =?utf-8?Q?L=E1=BB=97i_x=C3=A1c_th=E1=BB=B1c?=',
      'Message-ID: <abc-123@demobank.vn>',
      'Date: Tue, 24 Nov 2026 09:55:00 +0700',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('Xin chào, API xác thực trả lỗi 401.').toString('base64'),
      '--b1',
      'Content-Type: application/pdf; name="log.pdf"',
      'Content-Disposition: attachment; filename="log.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 test').toString('base64'),
      '--b1--',
      '',
    ].join('\r\n');
    const res = await agent.request({
      method: 'POST',
      url: '/api/support/email-import',
      headers: { 'content-type': 'message/rfc822' },
      payload: raw,
    });
    assert.equal(res.statusCode, 201, res.body);
    const r = res.json();
    assert.equal(r.channel, 'email');
    assert.equal(r.customer_id, DEMO);
    assert.equal(r.subject, 'Lỗi xác thực');
    assert.equal(r.description, 'Xin chào, API xác thực trả lỗi 401.');
    assert.equal(r.attachments.length, 1);
    assert.equal(r.attachments[0].content_type, 'application/pdf');
    const again = await agent.request({
      method: 'POST',
      url: '/api/support/email-import',
      headers: { 'content-type': 'message/rfc822' },
      payload: raw,
    });
    assert.equal(again.json().code, 'ERR_SUPPORT_EMAIL_DUPLICATE');
    const junk = await agent.request({
      method: 'POST',
      url: '/api/support/email-import',
      headers: { 'content-type': 'message/rfc822' },
      payload: 'not an email at all',
    });
    assert.equal(junk.statusCode, 422);
    assert.equal(junk.json().code, 'ERR_SUPPORT_EMAIL_INVALID');
    // The resolution notice goes back to the sender by email.
    await act(agent, r.id, { action: 'resolve', resolution: 'Khóa API đã hết hạn; đã cấp khóa mới.' });
    assert.deepEqual(
      (await notices(t, r.id, 'support.resolved')).map((n) => n.recipient),
      ['admin@demobank.vn'],
    );
  });

  test('attachments are typed by their bytes, bounded, and internal ones stay internal', async () => {
    const r = await file();
    const form = (name: string, bytes: Buffer, visibility?: string) => {
      const b = '----x';
      const parts = [];
      if (visibility)
        parts.push(`--${b}\r\nContent-Disposition: form-data; name="visibility"\r\n\r\n${visibility}\r\n`);
      parts.push(
        `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      return {
        headers: { 'content-type': `multipart/form-data; boundary=${b}` },
        payload: Buffer.concat([Buffer.from(parts.join('')), bytes, Buffer.from(`\r\n--${b}--\r\n`)]),
      };
    };
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(100),
    ]);
    const ok = await customer.request({
      method: 'POST',
      url: `/api/support/requests/${r.id}/attachments`,
      ...form('a.png', png),
    });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().items[0].content_type, 'image/png');
    const exe = await customer.request({
      method: 'POST',
      url: `/api/support/requests/${r.id}/attachments`,
      ...form('x.exe', Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00])),
    });
    assert.equal(exe.json().code, 'ERR_SUPPORT_ATTACHMENT_TYPE');
    const big = await customer.request({
      method: 'POST',
      url: `/api/support/requests/${r.id}/attachments`,
      ...form('big.txt', Buffer.alloc(5 * 1024 * 1024 + 1, 0x61)),
    });
    assert.equal(big.json().code, 'ERR_SUPPORT_ATTACHMENT_TOO_LARGE');
    const internal = await agent.request({
      method: 'POST',
      url: `/api/support/requests/${r.id}/attachments`,
      ...form('notes.txt', Buffer.from('internal analysis'), 'internal'),
    });
    const internalId = internal.json().items[0].id;
    const seen = (await customer.request({ method: 'GET', url: `/api/support/requests/${r.id}` })).json();
    assert.equal(seen.attachments.length, 1);
    const dl = await customer.request({
      method: 'GET',
      url: `/api/support/requests/${r.id}/attachments/${internalId}`,
    });
    assert.equal(dl.statusCode, 404);
    const mine = await customer.request({
      method: 'GET',
      url: `/api/support/requests/${r.id}/attachments/${ok.json().items[0].id}`,
    });
    assert.equal(mine.statusCode, 200);
    assert.deepEqual(mine.rawPayload, png);
  });

  test('an agent limited to the consulting queue does not see technical requests', async () => {
    const admin = await t.login('admin@ekyc.local');
    const set = await admin.request({
      method: 'PUT',
      url: '/api/support/agents/usr_support/queues',
      payload: { queues: ['consulting'] },
    });
    assert.equal(set.statusCode, 200, set.body);
    const r = await file();
    const res = await agent.request({ method: 'GET', url: `/api/support/requests/${r.id}` });
    assert.equal(res.statusCode, 404);
    const list = (await agent.request({ method: 'GET', url: '/api/support/requests' })).json().items;
    assert.ok(list.every((x: { queue: string }) => x.queue === 'consulting'));
    await admin.request({
      method: 'PUT',
      url: '/api/support/agents/usr_support/queues',
      payload: { queues: [] },
    });
    assert.equal(
      (await agent.request({ method: 'GET', url: `/api/support/requests/${r.id}` })).statusCode,
      200,
    );
  });

  test('the report counts volume, times, breaches, reopens and satisfaction, and exports CSV', async () => {
    const admin = await t.login('admin@ekyc.local');
    const res = await admin.request({
      method: 'GET',
      url: '/api/support/reports?from=2026-01-01&to=2027-01-01',
    });
    assert.equal(res.statusCode, 200, res.body);
    const rep = res.json();
    assert.ok(rep.total.requests >= 6);
    assert.ok(rep.total.first_response_breaches >= 1);
    assert.ok(
      rep.lines.some(
        (l: { queue: string; category: string }) => l.queue === 'technical' && l.category === 'qr',
      ),
    );
    const csv = await admin.request({
      method: 'GET',
      url: '/api/support/reports?from=2026-01-01&to=2027-01-01&format=csv',
    });
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.ok(lines[0]!.startsWith('queue,category,requests'));
    assert.ok(lines.at(-1)!.startsWith('*,*,'));
    const cust = await customer.request({ method: 'GET', url: '/api/support/reports' });
    assert.equal(cust.statusCode, 403);
  });

  test('bad input gets 4xx problems, never a 500', async () => {
    const cases = [
      { url: '/api/support/calls', payload: { choice: 'sales' } },
      {
        url: '/api/support/calls',
        payload: {
          caller_name: 'a',
          caller_phone: 'abc',
          choice: 'technical',
          category: 'c',
          description: 'd',
        },
      },
      { url: '/api/support/requests/sup_nothere/transitions', payload: { action: 'resolve' } },
      { url: '/api/support/requests/nope/transitions', payload: { action: 'start' } },
      { url: '/api/support/requests/sup_nothere/transitions', payload: { action: 'fly' } },
    ];
    for (const c of cases) {
      const res = await agent.request({ method: 'POST', ...c });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${c.url} → ${res.statusCode}`);
      assert.match(String(res.headers['content-type']), /problem\+json/);
    }
    const r = await file();
    const noText = await agent.request({
      method: 'POST',
      url: `/api/support/requests/${r.id}/transitions`,
      payload: { action: 'resolve' },
    });
    assert.equal(noText.statusCode, 409);
  });
});
