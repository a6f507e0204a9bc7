/**
 * Official days off in Viet Nam for 2025–2027, as the product's default data.
 *
 * Transcribed from `shared/data/holidays_vn/vn_public_holidays_2025_2027.csv` (rows with their basis and
 * sources) — the product cannot read that folder at run time. Each range covers every calendar day of
 * the break (weekends included, harmless: weekends are days off anyway).
 *
 * Sources, per row of the CSV:
 * - Labour Code 2019 Art.112 (statutory holidays) and Art.111(3) (a holiday on a weekly rest day is
 *   compensated by the next working day).
 * - Tết 2025: VPCP dispatch 8726/VPCP-KGVX of 2024-11-26 (9 consecutive days, 25/1–2/2/2025).
 * - Tết 2026: government schedule as reported by congan.com.vn: Saturday 14/2 to Sunday 22/2/2026.
 * - Lunar dates (Tết, Hùng Kings 10/3 lunar): the npm package date-holidays 3.37.0 (VN).
 * - National Day: two days since 2021 (2/9 + an adjacent day decided yearly). 2025: 1–2/9. For 2026 and
 *   2027 the adjacent day was not yet published; the same rule as computed years is applied
 *   (see `nationalDayAdjacent` in rules.ts) and an admin can correct it through `/api/calendar/days`.
 * - 2027 Tết: date-holidays window (giao thừa + 4 days); the government schedule is decided ~Nov 2026.
 */
export interface HolidayRange {
  start: string;
  end: string;
  nameVi: string;
  nameEn: string;
  status: 'confirmed' | 'fixed' | 'computed' | 'tbd';
}

export const VN_HOLIDAYS_2025_2027: readonly HolidayRange[] = [
  {
    start: '2025-01-01',
    end: '2025-01-01',
    nameVi: 'Tết Dương lịch',
    nameEn: "New Year's Day",
    status: 'fixed',
  },
  {
    start: '2025-01-25',
    end: '2025-02-02',
    nameVi: 'Tết Nguyên Đán (Ất Tỵ)',
    nameEn: 'Lunar New Year break',
    status: 'confirmed',
  },
  {
    start: '2025-04-07',
    end: '2025-04-07',
    nameVi: 'Giỗ Tổ Hùng Vương',
    nameEn: 'Hung Kings Commemoration',
    status: 'computed',
  },
  {
    start: '2025-04-30',
    end: '2025-04-30',
    nameVi: 'Ngày Chiến thắng / Giải phóng miền Nam',
    nameEn: 'Reunification Day',
    status: 'fixed',
  },
  {
    start: '2025-05-01',
    end: '2025-05-01',
    nameVi: 'Quốc tế Lao động',
    nameEn: 'International Labour Day',
    status: 'fixed',
  },
  { start: '2025-09-01', end: '2025-09-02', nameVi: 'Quốc khánh', nameEn: 'National Day', status: 'fixed' },
  {
    start: '2026-01-01',
    end: '2026-01-01',
    nameVi: 'Tết Dương lịch',
    nameEn: "New Year's Day",
    status: 'fixed',
  },
  {
    start: '2026-02-14',
    end: '2026-02-22',
    nameVi: 'Tết Nguyên Đán (Bính Ngọ)',
    nameEn: 'Lunar New Year break',
    status: 'confirmed',
  },
  {
    start: '2026-04-26',
    end: '2026-04-27',
    nameVi: 'Giỗ Tổ Hùng Vương + nghỉ bù',
    nameEn: 'Hung Kings Day + compensatory day',
    status: 'computed',
  },
  {
    start: '2026-04-30',
    end: '2026-05-01',
    nameVi: 'Ngày Chiến thắng + Quốc tế Lao động',
    nameEn: 'Reunification Day + Labour Day',
    status: 'fixed',
  },
  { start: '2026-09-01', end: '2026-09-02', nameVi: 'Quốc khánh', nameEn: 'National Day', status: 'tbd' },
  {
    start: '2027-01-01',
    end: '2027-01-01',
    nameVi: 'Tết Dương lịch',
    nameEn: "New Year's Day",
    status: 'fixed',
  },
  {
    start: '2027-02-05',
    end: '2027-02-09',
    nameVi: 'Tết Nguyên Đán (Đinh Mùi)',
    nameEn: 'Lunar New Year',
    status: 'tbd',
  },
  {
    start: '2027-04-16',
    end: '2027-04-16',
    nameVi: 'Giỗ Tổ Hùng Vương',
    nameEn: 'Hung Kings Commemoration',
    status: 'computed',
  },
  {
    start: '2027-04-30',
    end: '2027-04-30',
    nameVi: 'Ngày Chiến thắng',
    nameEn: 'Reunification Day',
    status: 'fixed',
  },
  {
    start: '2027-05-01',
    end: '2027-05-03',
    nameVi: 'Quốc tế Lao động + nghỉ bù',
    nameEn: 'Labour Day + compensatory day',
    status: 'computed',
  },
  { start: '2027-09-02', end: '2027-09-03', nameVi: 'Quốc khánh', nameEn: 'National Day', status: 'tbd' },
];

/** Years the data above covers; later (and earlier) years are computed by rules.ts. */
export const DATA_YEARS = { first: 2025, last: 2027 } as const;
