import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide } from './decide.ts';
import { DEFAULT_RULES, mergeRules } from './rules.ts';

const readable = (checks: Array<{ code: string; status: string }>) => ({
  readable: true,
  expired: false,
  quality_issues: [],
  checks,
});

describe('decide: document, chip and liveness results to reason codes', () => {
  test('a document whose own sources agree is approved; a QR/print disagreement goes to review', () => {
    const ok = decide(
      { checks: ['document'], document: readable([{ code: 'QR_MATCHES_OCR', status: 'pass' }]) },
      DEFAULT_RULES,
    );
    assert.equal(ok.status, 'approved');
    const bad = decide(
      { checks: ['document'], document: readable([{ code: 'QR_MATCHES_OCR', status: 'fail' }]) },
      DEFAULT_RULES,
    );
    assert.equal(bad.status, 'review');
    assert.deepEqual(
      bad.reasons.map((r) => r.code),
      ['DOCUMENT_QR_MISMATCH'],
    );
  });

  test('the customer can make an inconsistent document a decline; a warn on a fail-only check is ignored', () => {
    const strict = mergeRules(DEFAULT_RULES, { document: { on_inconsistency: 'decline' } });
    const d = decide(
      {
        checks: ['document'],
        document: readable([
          { code: 'MRZ_CHECK_DIGITS', status: 'fail' },
          { code: 'MRZ_CHECK_DIGITS', status: 'warn' },
          { code: 'LIKELY_PHOTOCOPY', status: 'warn' },
        ]),
      },
      strict,
    );
    assert.equal(d.status, 'declined');
    assert.deepEqual(d.reasons.map((r) => r.code).sort(), [
      'DOCUMENT_LIKELY_PHOTOCOPY',
      'DOCUMENT_MRZ_INVALID',
    ]);
  });

  test('chip fields that disagree with the card decline as CHIP_DOCUMENT_MISMATCH', () => {
    const d = decide(
      { checks: ['chip'], chip: { checks: [{ code: 'CHIP_MATCHES_DOCUMENT', status: 'fail' }] } },
      DEFAULT_RULES,
    );
    assert.equal(d.status, 'declined');
    assert.deepEqual(
      d.reasons.map((r) => r.code),
      ['CHIP_DOCUMENT_MISMATCH'],
    );
  });

  test('a live sequence of someone other than the selfie is declined; a stored engine error is its own code', () => {
    const other = decide(
      { checks: ['liveness'], liveness: { live: true, score: 1, selfie_similarity: 0.2 } },
      DEFAULT_RULES,
    );
    assert.deepEqual(
      other.reasons.map((r) => r.code),
      ['LIVENESS_NOT_SELFIE'],
    );
    const same = decide(
      { checks: ['liveness'], liveness: { live: true, score: 1, selfie_similarity: 0.8 } },
      DEFAULT_RULES,
    );
    assert.equal(same.status, 'approved');
    const swapped = decide(
      { checks: ['liveness'], liveness: { live: false, score: null, error: 'LIVENESS_FACE_CHANGED' } },
      DEFAULT_RULES,
    );
    assert.deepEqual(
      swapped.reasons.map((r) => r.code),
      ['LIVENESS_FACE_CHANGED'],
    );
    assert.equal(swapped.status, 'declined');
  });

  test('a passive liveness warning is reported by default and reviewed when the customer’s rule says so', () => {
    const input = {
      checks: ['liveness' as const],
      liveness: { live: true, score: 1, passive_warnings: ['screen_moire', 'frozen_frames'] },
    };
    const byDefault = decide(input, DEFAULT_RULES);
    assert.equal(byDefault.status, 'approved');
    assert.deepEqual(
      byDefault.reasons.map((r) => r.code),
      ['LIVENESS_SCREEN_SUSPECTED', 'LIVENESS_FROZEN_FRAMES'],
    );
    const strict = decide(input, mergeRules(DEFAULT_RULES, { liveness: { on_passive_warning: 'review' } }));
    assert.equal(strict.status, 'review');
  });

  test('a declared ID number other than the card one goes to review', () => {
    const d = decide({ checks: [], declared_id_mismatch: true }, DEFAULT_RULES);
    assert.equal(d.status, 'review');
    assert.deepEqual(
      d.reasons.map((r) => r.code),
      ['ID_NUMBER_DECLARED_MISMATCH'],
    );
  });
});
