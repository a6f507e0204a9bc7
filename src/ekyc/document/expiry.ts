/**
 * Card validity by age milestones. CCCD (Law on Citizen Identification 2014, art. 21) must be
 * renewed at 25, 40 and 60; the Căn cước (Law on Identification 2023, art. 21) at 14, 25, 40 and 60.
 * A card issued within two years before a milestone stays valid until the next one; a card issued
 * after the last milestone minus two years has no expiry.
 */
export type CardGeneration = 'cccd' | 'can_cuoc';

const MILESTONES: Record<CardGeneration, number[]> = { cccd: [25, 40, 60], can_cuoc: [14, 25, 40, 60] };

function ageOn(birthIso: string, onIso: string): number {
  const [by, bm, bd] = birthIso.split('-').map(Number) as [number, number, number];
  const [y, m, d] = onIso.split('-').map(Number) as [number, number, number];
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return age;
}

function birthdayAt(birthIso: string, age: number): string {
  const [by, bm, bd] = birthIso.split('-').map(Number) as [number, number, number];
  // 29 February births: the anniversary falls on 28 February in non-leap years.
  const y = by + age;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const day = bm === 2 && bd === 29 && !leap ? 28 : bd;
  return `${y}-${String(bm).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The expiry date the law gives a card issued on `issueIso` to a person born on `birthIso`; null = no expiry. */
export function expectedExpiry(gen: CardGeneration, birthIso: string, issueIso: string): string | null {
  for (const milestone of MILESTONES[gen]) {
    const renewFrom = birthdayAt(birthIso, milestone - 2);
    if (issueIso < renewFrom) return birthdayAt(birthIso, milestone);
  }
  return null;
}

export { ageOn };
