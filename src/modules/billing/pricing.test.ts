import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_TIERS, nextTier, priceGraduated, priceVolume, tiersProblem } from './pricing.ts';

// Expected totals worked out by hand from the seed's table, not from the code under test.
const BOUNDARIES: Array<[requests: number, volume: number, graduated: number]> = [
  [0, 0, 0],
  [1, 1_000, 1_000],
  [5_000, 5_000_000, 5_000_000],
  [5_001, 4_750_950, 5_000_950],
  [10_000, 9_500_000, 9_750_000],
  [10_001, 9_000_900, 9_750_900],
  [20_000, 18_000_000, 18_750_000],
  [20_001, 17_000_850, 18_750_850],
  [30_000, 25_500_000, 27_250_000],
  [30_001, 24_000_800, 27_250_800],
  [50_000, 40_000_000, 43_250_000],
  [50_001, 37_500_750, 43_250_750],
];

describe('tier pricing of the default Cloud SaaS plan', () => {
  for (const [n, volume, graduated] of BOUNDARIES) {
    test(`${n} requests: volume ${volume}, graduated ${graduated}`, () => {
      assert.equal(priceVolume(n, DEFAULT_TIERS).amountVnd, volume);
      const g = priceGraduated(n, DEFAULT_TIERS);
      assert.equal(g.amountVnd, graduated);
      assert.equal(
        g.breakdown.reduce((s, b) => s + b.quantity, 0),
        n,
        'graduated slices add up to the requests',
      );
    });
  }

  test('the 12,000-request example: volume 10,800,000, graduated 11,550,000', () => {
    const v = priceVolume(12_000, DEFAULT_TIERS);
    assert.equal(v.amountVnd, 10_800_000);
    assert.equal(v.tier, 3);
    assert.deepEqual(v.breakdown, [
      { tier: 3, from: 10_001, to: 20_000, quantity: 12_000, unitPriceVnd: 900, amountVnd: 10_800_000 },
    ]);
    const g = priceGraduated(12_000, DEFAULT_TIERS);
    assert.equal(g.amountVnd, 11_550_000);
    assert.deepEqual(
      g.breakdown.map((b) => [b.quantity, b.unitPriceVnd, b.amountVnd]),
      [
        [5_000, 1_000, 5_000_000],
        [5_000, 950, 4_750_000],
        [2_000, 900, 1_800_000],
      ],
    );
  });

  test('next tier threshold', () => {
    assert.deepEqual(nextTier(12_000, DEFAULT_TIERS), {
      tier: 4,
      startsAt: 20_001,
      unitPriceVnd: 850,
      requestsToGo: 8_001,
    });
    assert.equal(nextTier(0, DEFAULT_TIERS)?.startsAt, 5_001);
    assert.equal(nextTier(60_000, DEFAULT_TIERS), null);
  });

  test('invalid tables and counts are refused', () => {
    assert.equal(tiersProblem(DEFAULT_TIERS), undefined);
    assert.match(tiersProblem([]) ?? '', /at least one/);
    assert.match(tiersProblem([{ upTo: 10, unitPriceVnd: 5 }]) ?? '', /last tier/);
    assert.match(
      tiersProblem([
        { upTo: 10, unitPriceVnd: 5 },
        { upTo: 5, unitPriceVnd: 4 },
        { upTo: null, unitPriceVnd: 3 },
      ]) ?? '',
      /greater/,
    );
    assert.match(tiersProblem([{ upTo: null, unitPriceVnd: 1.5 }]) ?? '', /whole/);
    assert.throws(() => priceVolume(-1, DEFAULT_TIERS), RangeError);
    assert.throws(() => priceGraduated(1.5, DEFAULT_TIERS), RangeError);
  });
});
