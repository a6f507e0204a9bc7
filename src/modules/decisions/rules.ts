/**
 * Per-customer decision rules. Stored as versions (never edited in place): every session result
 * records the version it was decided with. A customer without a stored version uses version 0,
 * the defaults below.
 */
export type Outcome = 'approve' | 'review' | 'decline';

export interface DecisionRules {
  /** Checks every session of this customer must ask for. */
  required_checks: Array<'document' | 'face' | 'liveness' | 'chip'>;
  face: {
    /** similarity below → declined (FACE_MISMATCH). Default: the face engine's threshold (FAR 0.1 %). */
    decline_below: number;
    /** similarity below (and ≥ decline_below) → review (FACE_LOW_SIMILARITY). */
    review_below: number;
    /** What a selfie with quality issues (blur, pose, eyes closed …) leads to. */
    on_quality_issues: Outcome;
  };
  liveness: {
    decline_below: number;
    review_below: number;
    /** A passive signal warned (screen moiré, frozen frames): reported by default, never trusted alone. */
    on_passive_warning: Outcome;
  };
  document: {
    on_expired: Outcome;
    on_quality_issues: Outcome;
    on_unreadable: Outcome;
    /** The card's own sources disagree (QR vs print, MRZ check digits, ID number vs birth …). */
    on_inconsistency: Outcome;
    /** The photo looks like a photocopy or a screen. */
    on_suspected_copy: Outcome;
  };
  chip: {
    /** The chip's signature chain does not reach an installed CSCA (e.g. Vietnamese cards). */
    on_untrusted_issuer: Outcome;
    /** A bad SOD signature, a hash mismatch or a field mismatch with the card. */
    on_integrity_failure: Outcome;
  };
  /** The same face already approved under another ID number within this customer. */
  duplicate_face: { action: Outcome; min_similarity: number };
  /** A session with no upload or submit for this long expires. */
  session_ttl_minutes: number;
}

export const DEFAULT_RULES: DecisionRules = {
  required_checks: [],
  face: { decline_below: 0.5, review_below: 0.5, on_quality_issues: 'approve' },
  liveness: { decline_below: 0.5, review_below: 0.5, on_passive_warning: 'approve' },
  document: {
    on_expired: 'decline',
    on_quality_issues: 'review',
    on_unreadable: 'decline',
    on_inconsistency: 'review',
    on_suspected_copy: 'review',
  },
  chip: { on_untrusted_issuer: 'review', on_integrity_failure: 'decline' },
  duplicate_face: { action: 'review', min_similarity: 0.6 },
  session_ttl_minutes: 30,
};

const outcome = { type: 'string', enum: ['approve', 'review', 'decline'] } as const;
const score = { type: 'number', minimum: 0, maximum: 1 } as const;

/** JSON schema of a rules document (every member optional: missing ones keep the defaults). */
export const rulesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    required_checks: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', enum: ['document', 'face', 'liveness', 'chip'] },
    },
    face: {
      type: 'object',
      additionalProperties: false,
      properties: { decline_below: score, review_below: score, on_quality_issues: outcome },
    },
    liveness: {
      type: 'object',
      additionalProperties: false,
      properties: { decline_below: score, review_below: score, on_passive_warning: outcome },
    },
    document: {
      type: 'object',
      additionalProperties: false,
      properties: {
        on_expired: outcome,
        on_quality_issues: outcome,
        on_unreadable: outcome,
        on_inconsistency: outcome,
        on_suspected_copy: outcome,
      },
    },
    chip: {
      type: 'object',
      additionalProperties: false,
      properties: { on_untrusted_issuer: outcome, on_integrity_failure: outcome },
    },
    duplicate_face: {
      type: 'object',
      additionalProperties: false,
      properties: { action: outcome, min_similarity: score },
    },
    session_ttl_minutes: { type: 'integer', minimum: 5, maximum: 10080 },
  },
} as const;

export type RulesPatch = {
  [K in keyof DecisionRules]?: DecisionRules[K] extends unknown[]
    ? DecisionRules[K]
    : DecisionRules[K] extends object
      ? Partial<DecisionRules[K]>
      : DecisionRules[K];
};

/** Rules = defaults overlaid with a stored document (members added later keep their defaults). */
export function mergeRules(base: DecisionRules, patch: RulesPatch): DecisionRules {
  return {
    required_checks: patch.required_checks ?? base.required_checks,
    face: { ...base.face, ...patch.face },
    liveness: { ...base.liveness, ...patch.liveness },
    document: { ...base.document, ...patch.document },
    chip: { ...base.chip, ...patch.chip },
    duplicate_face: { ...base.duplicate_face, ...patch.duplicate_face },
    session_ttl_minutes: patch.session_ttl_minutes ?? base.session_ttl_minutes,
  };
}
