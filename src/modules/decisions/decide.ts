import type { DecisionRules, Outcome } from './rules.ts';

/**
 * The decision function: per-check results in, status and reason codes out. Pure (no I/O), so
 * every rule is testable alone. The most severe outcome wins: decline > review > approve.
 */
export type CheckName = 'document' | 'face' | 'liveness' | 'chip';

export interface FaceResult {
  similarity: number | null;
  /** Quality issues of the selfie, as named by the face engine. */
  quality_issues: string[];
  /** An engine error code when no comparison could be made (no face found …). */
  error?: string;
}
export interface LivenessResult {
  live: boolean | null;
  score: number | null;
  /** Similarity of the liveness face to the selfie (null: no selfie to compare with). */
  selfie_similarity?: number | null;
  /** The liveness engine's passive signals that warned (`screen_moire`, `frozen_frames`). */
  passive_warnings?: string[];
  error?: string;
}

/** Passive liveness warnings, by reason code: signals only, so what they lead to is the customer's rule. */
const PASSIVE_REASONS: Record<string, string> = {
  screen_moire: 'LIVENESS_SCREEN_SUSPECTED',
  frozen_frames: 'LIVENESS_FROZEN_FRAMES',
};
export interface DocumentResult {
  readable: boolean;
  expired: boolean | null;
  quality_issues: string[];
  /** The reader's consistency checks: code + pass | fail | warn | not_applicable. */
  checks?: Array<{ code: string; status: string }>;
  error?: string;
}
export interface ChipResult {
  /** The chip engine's checks: code + pass | fail | not_applicable. */
  checks: Array<{ code: string; status: string }>;
  error?: string;
}

export interface DecisionInput {
  checks: CheckName[];
  face?: FaceResult;
  liveness?: LivenessResult;
  document?: DocumentResult;
  chip?: ChipResult;
  duplicates?: Array<{ similarity: number }>;
  /** The ID number the integrator declared differs from the one the document or chip gave. */
  declared_id_mismatch?: boolean;
}

/** Reader checks that make a document inconsistent (fail) or suspicious (warn), by reason code. */
const DOCUMENT_CHECK_REASONS: Record<
  string,
  { on: 'fail' | 'warn'; code: string; rule: 'inconsistency' | 'copy' }
> = {
  ID_NUMBER_STRUCTURE: { on: 'fail', code: 'DOCUMENT_ID_NUMBER_INVALID', rule: 'inconsistency' },
  ID_NUMBER_MATCHES_BIRTH: { on: 'fail', code: 'DOCUMENT_ID_NUMBER_MISMATCH', rule: 'inconsistency' },
  QR_MATCHES_OCR: { on: 'fail', code: 'DOCUMENT_QR_MISMATCH', rule: 'inconsistency' },
  MRZ_CHECK_DIGITS: { on: 'fail', code: 'DOCUMENT_MRZ_INVALID', rule: 'inconsistency' },
  MRZ_MATCHES_FIELDS: { on: 'fail', code: 'DOCUMENT_MRZ_MISMATCH', rule: 'inconsistency' },
  SIDES_SAME_CARD: { on: 'fail', code: 'DOCUMENT_SIDES_MISMATCH', rule: 'inconsistency' },
  LIKELY_PHOTOCOPY: { on: 'warn', code: 'DOCUMENT_LIKELY_PHOTOCOPY', rule: 'copy' },
  LIKELY_SCREEN_RECAPTURE: { on: 'warn', code: 'DOCUMENT_LIKELY_SCREEN', rule: 'copy' },
};

export interface Reason {
  code: string;
  check: CheckName | 'session';
  outcome: Outcome;
}

export interface Decision {
  status: 'approved' | 'review' | 'declined';
  reasons: Reason[];
}

const SEVERITY: Record<Outcome, number> = { approve: 0, review: 1, decline: 2 };

export function decide(input: DecisionInput, rules: DecisionRules): Decision {
  const reasons: Reason[] = [];
  const add = (check: Reason['check'], code: string, outcome: Outcome) =>
    reasons.push({ code, check, outcome });

  for (const c of input.checks) {
    if (c === 'face') {
      const f = input.face;
      if (!f || f.similarity === null) add('face', f?.error ?? 'FACE_NOT_COMPARED', 'decline');
      else if (f.similarity < rules.face.decline_below) add('face', 'FACE_MISMATCH', 'decline');
      else if (f.similarity < rules.face.review_below) add('face', 'FACE_LOW_SIMILARITY', 'review');
      if (f && f.quality_issues.length > 0) add('face', 'SELFIE_QUALITY', rules.face.on_quality_issues);
    }
    if (c === 'liveness') {
      const l = input.liveness;
      if (!l || l.score === null) add('liveness', l?.error ?? 'LIVENESS_NOT_CHECKED', 'decline');
      else if (l.live === false || l.score < rules.liveness.decline_below)
        add('liveness', 'LIVENESS_FAILED', 'decline');
      else if (l.score < rules.liveness.review_below) add('liveness', 'LIVENESS_LOW_SCORE', 'review');
      // The live person must be the selfie's person, or a live accomplice could front a stolen photo.
      if (l && typeof l.selfie_similarity === 'number' && l.selfie_similarity < rules.face.decline_below)
        add('liveness', 'LIVENESS_NOT_SELFIE', 'decline');
      for (const w of l?.passive_warnings ?? []) {
        const code = PASSIVE_REASONS[w];
        if (code) add('liveness', code, rules.liveness.on_passive_warning);
      }
    }
    if (c === 'document') {
      const d = input.document;
      if (!d || !d.readable) add('document', d?.error ?? 'DOCUMENT_UNREADABLE', rules.document.on_unreadable);
      else {
        if (d.expired) add('document', 'DOCUMENT_EXPIRED', rules.document.on_expired);
        if (d.quality_issues.length > 0)
          add('document', 'DOCUMENT_QUALITY', rules.document.on_quality_issues);
        for (const k of d.checks ?? []) {
          const r = DOCUMENT_CHECK_REASONS[k.code];
          if (!r || k.status !== r.on) continue;
          add(
            'document',
            r.code,
            r.rule === 'copy' ? rules.document.on_suspected_copy : rules.document.on_inconsistency,
          );
        }
      }
    }
    if (c === 'chip') {
      const ch = input.chip;
      if (!ch || ch.error) add('chip', ch?.error ?? 'CHIP_NOT_READ', 'decline');
      else {
        for (const k of ch.checks) {
          if (k.status !== 'fail') continue;
          if (k.code === 'CHAIN_TRUSTED')
            add('chip', 'CHIP_ISSUER_UNTRUSTED', rules.chip.on_untrusted_issuer);
          else if (k.code === 'CHIP_MATCHES_DOCUMENT')
            add('chip', 'CHIP_DOCUMENT_MISMATCH', rules.chip.on_integrity_failure);
          else add('chip', `CHIP_${k.code}_FAILED`, rules.chip.on_integrity_failure);
        }
      }
    }
  }
  const dup = (input.duplicates ?? []).filter((d) => d.similarity >= rules.duplicate_face.min_similarity);
  if (dup.length > 0) add('face', 'DUPLICATE_FACE', rules.duplicate_face.action);
  if (input.declared_id_mismatch) add('session', 'ID_NUMBER_DECLARED_MISMATCH', 'review');

  const worst = reasons.reduce((w, r) => Math.max(w, SEVERITY[r.outcome]), 0);
  return { status: worst === 2 ? 'declined' : worst === 1 ? 'review' : 'approved', reasons };
}
