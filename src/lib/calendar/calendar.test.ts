import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freshDatabase, onBothEngines } from '../../../test/db.ts';
import {
  type CalendarDay,
  createBusinessCalendar,
  defaultCalendarDays,
  loadBusinessCalendar,
} from './calendar.ts';
import { computedYear } from './rules.ts';

/** A local (UTC+7) wall-clock time as an instant. */
const vn = (local: string) => new Date(`${local}+07:00`);
const HOUR = 3_600_000;

describe('business calendar: defaults', () => {
  const cal = createBusinessCalendar(defaultCalendarDays());

  test('the Tết 2026 break (14–22 Feb) is off; the days around it are working days', () => {
    assert.equal(cal.isWorkingDay('2026-02-13'), true);
    for (const d of ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']) {
      assert.equal(cal.isWorkingDay(d), false, d);
    }
    assert.equal(cal.isWorkingDay('2026-02-23'), true);
  });

  test('a contract signed the Friday before Tết 2026 must be declared by Monday 23 Feb 17:00', () => {
    const due = cal.addWorkingDays(vn('2026-02-13T10:00:00'), 1);
    assert.equal(due.toISOString(), vn('2026-02-23T17:00:00').toISOString());
    assert.equal(cal.workingDaysBetween(vn('2026-02-13T10:00:00'), due), 1);
    assert.equal(
      cal.addWorkingDays(vn('2026-02-13T10:00:00'), 3).toISOString(),
      vn('2026-02-25T17:00:00').toISOString(),
    );
  });

  test('signed during Tết, the 1 working day runs from the first day back', () => {
    assert.equal(
      cal.addWorkingDays(vn('2026-02-17T09:00:00'), 1).toISOString(),
      vn('2026-02-23T17:00:00').toISOString(),
    );
    assert.equal(
      cal.addWorkingDays(vn('2026-02-17T09:00:00'), 0).toISOString(),
      vn('2026-02-23T17:00:00').toISOString(),
    );
  });

  test('working hours stop at 17:00 on 13 Feb and resume at 08:00 on 23 Feb', () => {
    const due = cal.addWorkingHours(vn('2026-02-13T16:00:00'), 2);
    assert.equal(due.toISOString(), vn('2026-02-23T09:00:00').toISOString());
    assert.equal(cal.workingMillisBetween(vn('2026-02-13T16:00:00'), due), 2 * HOUR);
    assert.equal(cal.workingMillisBetween(vn('2026-02-14T08:00:00'), vn('2026-02-22T20:00:00')), 0);
    // Ending exactly at 17:00 stays on that day.
    assert.equal(
      cal.addWorkingHours(vn('2026-02-12T08:00:00'), 9).toISOString(),
      vn('2026-02-12T17:00:00').toISOString(),
    );
  });

  test('custom working hours', () => {
    const wh = { startHour: 7.5, endHour: 11.5 };
    assert.equal(
      cal.addWorkingHours(vn('2026-03-02T06:00:00'), 5, wh).toISOString(),
      vn('2026-03-03T08:30:00').toISOString(),
    );
    assert.throws(() => cal.addWorkingHours(new Date(), 1, { startHour: 17, endHour: 8 }), RangeError);
  });

  test('local dates are UTC+7', () => {
    assert.equal(cal.localDate(new Date('2026-02-13T16:59:59Z')), '2026-02-13');
    assert.equal(cal.localDate(new Date('2026-02-13T17:00:00Z')), '2026-02-14');
  });

  test('the data years keep the two-day National Day and compensatory days', () => {
    assert.equal(cal.isWorkingDay('2025-09-01'), false);
    assert.equal(cal.isWorkingDay('2025-09-02'), false);
    assert.equal(cal.isWorkingDay('2026-04-27'), false);
    assert.equal(cal.isWorkingDay('2027-05-03'), false);
  });

  test('later years are computed: lunar Tết 2028, weekend holidays compensated', () => {
    const days = new Set(computedYear(2028).map((d) => d.day));
    // Giao thừa 25/1/2028 (Tue) + 4 days: the Saturday 29/1 is compensated on Monday 31/1.
    for (const d of ['2028-01-25', '2028-01-26', '2028-01-27', '2028-01-28', '2028-01-31'])
      assert.ok(days.has(d), d);
    assert.ok(days.has('2028-04-04'), 'Hùng Kings 10/3 lunar');
    // 30/4/2028 is a Sunday; 1/5 is taken, so the compensatory day is Tuesday 2/5.
    assert.ok(days.has('2028-05-02'));
    // 2/9/2028 is a Saturday: adjacent Friday 1/9 and compensatory Monday 4/9.
    assert.ok(days.has('2028-09-01'));
    assert.ok(days.has('2028-09-04'));
    assert.equal(cal.isWorkingDay('2028-01-31'), false);
    assert.equal(cal.isWorkingDay('2028-02-01'), true);
  });
});

describe('business calendar: a make-up working Saturday', () => {
  const days: CalendarDay[] = [
    ...defaultCalendarDays(),
    { day: '2026-03-07', kind: 'working_day', nameVi: 'Làm bù', nameEn: 'Make-up working day' },
  ];
  const cal = createBusinessCalendar(days);

  test('the Saturday counts as a working day for deadlines and SLA hours', () => {
    assert.equal(cal.isWorkingDay('2026-03-07'), true);
    assert.equal(cal.isWorkingDay('2026-03-14'), false);
    assert.equal(
      cal.addWorkingDays(vn('2026-03-06T15:00:00'), 1).toISOString(),
      vn('2026-03-07T17:00:00').toISOString(),
    );
    assert.equal(cal.workingDaysBetween(vn('2026-03-06T09:00:00'), vn('2026-03-09T09:00:00')), 2);
    assert.equal(cal.workingMillisBetween(vn('2026-03-06T16:00:00'), vn('2026-03-09T09:00:00')), 11 * HOUR);
  });

  test('without it the same deadline is the Monday', () => {
    const plain = createBusinessCalendar(defaultCalendarDays());
    assert.equal(
      plain.addWorkingDays(vn('2026-03-06T15:00:00'), 1).toISOString(),
      vn('2026-03-09T17:00:00').toISOString(),
    );
    assert.equal(plain.workingDaysBetween(vn('2026-03-09T09:00:00'), vn('2026-03-06T09:00:00')), -1);
  });
});

onBothEngines('admin overrides in calendar_days replace the defaults', async (engine) => {
  const db = await freshDatabase(engine);
  try {
    await db.query(`INSERT INTO calendar_days (day, kind, name_vi, name_en) VALUES
      ('2026-02-28', 'working_day', 'Làm bù', 'Make-up'), ('2026-02-20', 'cleared', '', ''),
      ('2026-03-02', 'holiday', 'Nghỉ', 'Day off')`);
    const cal = await loadBusinessCalendar(db);
    assert.equal(cal.isWorkingDay('2026-02-28'), true);
    assert.equal(cal.isWorkingDay('2026-02-20'), true);
    assert.equal(cal.isWorkingDay('2026-03-02'), false);
    assert.equal(cal.isWorkingDay('2026-02-19'), false);
  } finally {
    await db.close();
  }
});
