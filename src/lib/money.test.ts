import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyRateBp, formatVnd, percentToBp, sumVnd, vatOfLine, vndInWords } from './money.ts';

describe('money: integer VND', () => {
  test('formats with dot grouping and the đồng sign', () => {
    assert.equal(formatVnd(1_234_567), '1.234.567 ₫');
    assert.equal(formatVnd(0), '0 ₫');
    assert.equal(formatVnd(999), '999 ₫');
    assert.equal(formatVnd(1000), '1.000 ₫');
    assert.equal(formatVnd(-1_500_000), '-1.500.000 ₫');
  });

  test('VAT is per line, half up', () => {
    assert.equal(vatOfLine(10_800_000, 1000), 1_080_000);
    assert.equal(vatOfLine(5, 1000), 1); // 0.5 → 1
    assert.equal(vatOfLine(4, 1000), 0); // 0.4 → 0
    assert.equal(vatOfLine(15, 1000), 2); // 1.5 → 2
    assert.equal(vatOfLine(14, 1000), 1);
    assert.equal(vatOfLine(1_234_567, 800), 98_765); // 98 765.36
    assert.equal(vatOfLine(-15, 1000), -2); // a credit note mirrors its invoice
    // Two lines of 5 VND: per-line rounding gives 1 + 1, not round(1.0) = 1 on the sum.
    assert.equal(vatOfLine(5, 1000) + vatOfLine(5, 1000), 2);
  });

  test('shares are exact on large amounts', () => {
    assert.equal(applyRateBp(9_000_000_000_001, 4000), 3_600_000_000_000);
    assert.equal(applyRateBp(3, 3500), 1); // 1.05 → 1
    assert.equal(applyRateBp(1, 5000), 1); // 0.5 → 1
    assert.throws(() => applyRateBp(1.5, 1000), RangeError);
    assert.throws(() => applyRateBp(1, -1), RangeError);
  });

  test('sums refuse fractions and percent converts to basis points', () => {
    assert.equal(sumVnd([1, 2, 3]), 6);
    assert.throws(() => sumVnd([1, 0.5]), RangeError);
    assert.equal(percentToBp(10), 1000);
    assert.equal(percentToBp(8.5), 850);
    assert.throws(() => percentToBp(101), RangeError);
    assert.throws(() => percentToBp(1.234), RangeError);
  });

  test('amount in Vietnamese words', () => {
    const cases: Array<[number, string]> = [
      [0, 'Không đồng'],
      [1, 'Một đồng'],
      [10, 'Mười đồng'],
      [15, 'Mười lăm đồng'],
      [21, 'Hai mươi mốt đồng'],
      [25, 'Hai mươi lăm đồng'],
      [105, 'Một trăm linh năm đồng'],
      [110, 'Một trăm mười đồng'],
      [1_000, 'Một nghìn đồng'],
      [1_005, 'Một nghìn không trăm linh năm đồng'],
      [1_000_000, 'Một triệu đồng'],
      [1_000_001, 'Một triệu không trăm linh một đồng'],
      [1_234_567, 'Một triệu hai trăm ba mươi bốn nghìn năm trăm sáu mươi bảy đồng'],
      [10_800_000, 'Mười triệu tám trăm nghìn đồng'],
      [11_880_000, 'Mười một triệu tám trăm tám mươi nghìn đồng'],
      [1_000_000_000, 'Một tỷ đồng'],
      [2_050_000_000, 'Hai tỷ không trăm năm mươi triệu đồng'],
      [1_000_000_000_000, 'Một nghìn tỷ đồng'],
      [-5_000, 'Âm năm nghìn đồng'],
    ];
    for (const [n, words] of cases) assert.equal(vndInWords(n), words, String(n));
  });
});
