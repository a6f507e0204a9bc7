import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createBusinessCalendar, defaultCalendarDays } from '../../lib/calendar/calendar.ts';
import { parseEmail } from './email.ts';
import { dueAt, elapsedMs, isCallbackTimeValid, switchClock } from './sla.ts';
import { canTransition, queueFromText } from './workflow.ts';

const cal = createBusinessCalendar(defaultCalendarDays());
const H = 3_600_000;

describe('SLA clock on the business calendar', () => {
  test('a paused clock does not count the weekend nor the pause', () => {
    let c = { activeMs: 0, runningSince: new Date('2026-11-27T08:00:00Z') as Date | null }; // Fri 15:00
    c = switchClock(c, new Date('2026-11-27T09:00:00Z'), false, cal); // paused at 16:00 after 1 h
    assert.equal(elapsedMs(c, new Date('2026-11-30T09:00:00Z'), cal), H);
    c = switchClock(c, new Date('2026-11-30T02:00:00Z'), true, cal); // resumes Monday 09:00
    assert.equal(elapsedMs(c, new Date('2026-11-30T04:00:00Z'), cal), 3 * H);
    assert.equal(dueAt(c, 4, cal)?.toISOString(), '2026-11-30T05:00:00.000Z');
    assert.equal(dueAt({ activeMs: H, runningSince: null }, 4, cal), null);
  });

  test('callbacks only inside desk hours of working days, in the future', () => {
    const now = new Date('2026-02-13T03:00:00Z');
    assert.equal(isCallbackTimeValid(new Date('2026-02-16T03:00:00Z'), now, cal), false); // Tết
    assert.equal(isCallbackTimeValid(new Date('2026-02-23T00:59:00Z'), now, cal), false); // 07:59
    assert.equal(isCallbackTimeValid(new Date('2026-02-23T01:00:00Z'), now, cal), true); // 08:00
    assert.equal(isCallbackTimeValid(new Date('2026-02-23T10:00:00Z'), now, cal), false); // 17:00
    assert.equal(isCallbackTimeValid(new Date('2026-02-13T02:00:00Z'), now, cal), false); // past
  });
});

describe('request states', () => {
  test('a closed request cannot be started; a reopened one can', () => {
    assert.equal(canTransition('start', 'closed'), false);
    assert.equal(canTransition('start', 'reopened'), true);
    assert.equal(canTransition('notified', 'in_progress'), false);
  });
  test('consulting words route an email to the consulting queue', () => {
    assert.equal(queueFromText('Xin báo giá gói eKYC'), 'consulting');
    assert.equal(queueFromText('API lỗi 500'), 'technical');
  });
});

describe('RFC 822 import', () => {
  test('quoted-printable Latin-1 body, folded header, HTML-only fallback', () => {
    const qp = parseEmail(
      [
        'From: "Nguyen Van A" <A@Bank.vn>',
        'Subject: =?iso-8859-1?Q?Caf=E9?=',
        '  =?utf-8?B?IGzhu5dp?=',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'caf=E9 soft=',
        'break',
      ].join('\r\n'),
    );
    assert.equal(qp?.fromAddress, 'a@bank.vn');
    assert.equal(qp?.fromName, 'Nguyen Van A');
    assert.equal(qp?.subject, 'Café lỗi');
    assert.equal(qp?.text, 'café softbreak');
    const html = parseEmail(
      'From: x@y.vn\nContent-Type: text/html\n\n<p>Hello&nbsp;<b>desk</b></p><script>x</script>',
    );
    assert.equal(html?.text, 'Hello desk');
  });
  test('no sender, no message', () => {
    assert.equal(parseEmail('Subject: hi\n\nbody'), null);
    assert.equal(parseEmail(''), null);
    assert.equal(parseEmail(Buffer.from([0xff, 0xfe, 0x00])), null);
  });
});
