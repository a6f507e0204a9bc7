/**
 * Tier pricing, pure. A plan's tiers are ordered ranges of requests per month: tier i covers
 * (upTo of tier i-1, upTo of tier i]; the last tier has `upTo: null` (no upper bound).
 * - `volume` (the seed's reading, default): the month's total picks ONE unit price for every request.
 * - `graduated`: each tier prices only its own slice.
 */
export type TierMode = 'volume' | 'graduated';

export interface Tier {
  upTo: number | null;
  unitPriceVnd: number;
}

export interface BreakdownLine {
  tier: number;
  from: number;
  to: number | null;
  quantity: number;
  unitPriceVnd: number;
  amountVnd: number;
}

export interface PriceResult {
  mode: TierMode;
  requests: number;
  amountVnd: number;
  /** Index (1-based) of the tier the month's total falls in. */
  tier: number;
  breakdown: BreakdownLine[];
}

/** The seed's Cloud SaaS table: the default plan `cloud_saas_default`. */
export const DEFAULT_TIERS: readonly Tier[] = [
  { upTo: 5_000, unitPriceVnd: 1_000 },
  { upTo: 10_000, unitPriceVnd: 950 },
  { upTo: 20_000, unitPriceVnd: 900 },
  { upTo: 30_000, unitPriceVnd: 850 },
  { upTo: 50_000, unitPriceVnd: 800 },
  { upTo: null, unitPriceVnd: 750 },
];

/** Returns a reason when `tiers` is not a valid table, `undefined` when it is. */
export function tiersProblem(tiers: readonly Tier[]): string | undefined {
  if (tiers.length === 0) return 'a plan needs at least one tier';
  let previous = 0;
  for (const [i, t] of tiers.entries()) {
    if (!Number.isSafeInteger(t.unitPriceVnd) || t.unitPriceVnd < 0) {
      return `tier ${i + 1}: unit price must be a whole, non-negative number of VND`;
    }
    const last = i === tiers.length - 1;
    if (last) {
      if (t.upTo !== null) return 'the last tier must have no upper bound (up_to null)';
    } else if (t.upTo === null || !Number.isSafeInteger(t.upTo) || t.upTo <= previous) {
      return `tier ${i + 1}: up_to must be a whole number greater than the previous tier's`;
    } else {
      previous = t.upTo;
    }
  }
  return undefined;
}

function assertRequests(requests: number): void {
  if (!Number.isSafeInteger(requests) || requests < 0) {
    throw new RangeError('requests must be a whole, non-negative number');
  }
}

/** 1-based index of the tier `requests` falls in (0 requests fall in the first tier). */
export function tierIndexOf(requests: number, tiers: readonly Tier[]): number {
  assertRequests(requests);
  const i = tiers.findIndex((t) => t.upTo === null || requests <= t.upTo);
  return (i === -1 ? tiers.length - 1 : i) + 1;
}

function fromOf(tiers: readonly Tier[], index0: number): number {
  return index0 === 0 ? 1 : (tiers[index0 - 1]!.upTo as number) + 1;
}

export function priceVolume(requests: number, tiers: readonly Tier[]): PriceResult {
  const tier = tierIndexOf(requests, tiers);
  const t = tiers[tier - 1]!;
  const amountVnd = requests * t.unitPriceVnd;
  return {
    mode: 'volume',
    requests,
    amountVnd,
    tier,
    breakdown:
      requests === 0
        ? []
        : [
            {
              tier,
              from: fromOf(tiers, tier - 1),
              to: t.upTo,
              quantity: requests,
              unitPriceVnd: t.unitPriceVnd,
              amountVnd,
            },
          ],
  };
}

export function priceGraduated(requests: number, tiers: readonly Tier[]): PriceResult {
  const tier = tierIndexOf(requests, tiers);
  const breakdown: BreakdownLine[] = [];
  let lower = 0;
  for (const [i, t] of tiers.entries()) {
    if (requests <= lower) break;
    const upper = t.upTo === null ? requests : Math.min(t.upTo, requests);
    const quantity = upper - lower;
    breakdown.push({
      tier: i + 1,
      from: lower + 1,
      to: t.upTo,
      quantity,
      unitPriceVnd: t.unitPriceVnd,
      amountVnd: quantity * t.unitPriceVnd,
    });
    if (t.upTo === null) break;
    lower = t.upTo;
  }
  const amountVnd = breakdown.reduce((s, b) => s + b.amountVnd, 0);
  return { mode: 'graduated', requests, amountVnd, tier, breakdown };
}

export function price(requests: number, tiers: readonly Tier[], mode: TierMode): PriceResult {
  return mode === 'volume' ? priceVolume(requests, tiers) : priceGraduated(requests, tiers);
}

/** Where the next tier starts and its unit price, or `null` in the last tier. */
export function nextTier(
  requests: number,
  tiers: readonly Tier[],
): { tier: number; startsAt: number; unitPriceVnd: number; requestsToGo: number } | null {
  const current = tierIndexOf(requests, tiers);
  const next = tiers[current];
  const bound = tiers[current - 1]!.upTo;
  if (!next || bound === null) return null;
  return {
    tier: current + 1,
    startsAt: bound + 1,
    unitPriceVnd: next.unitPriceVnd,
    requestsToGo: bound + 1 - requests,
  };
}
