import { useState } from 'react';
import { api } from '../api.ts';
import { type MsgKey, useI18n } from '../i18n.tsx';
import { Link } from '../router.tsx';
import { ErrorBox, Field, Loading, useAction, useAsync } from '../ui.tsx';
import { StatusBadge } from './ListPage.tsx';

type ImageKind = 'document_front' | 'document_back' | 'selfie' | 'chip_face' | 'liveness_frame';
type Side = 'front' | 'back';
type Box = [number, number, number, number];
type Outcome = 'approve' | 'review' | 'decline';

interface Check {
  code?: string;
  name?: string;
  status?: string;
  passed?: boolean;
  detail?: string;
  value?: number;
}

interface Case {
  id: string;
  reference_id: string;
  status: string;
  checks: string[];
  created_at: string;
  completed_at: string | null;
  decision: {
    rule_version: number;
    reasons: Array<{ code: string; check: string; outcome: Outcome }>;
  } | null;
  scores: {
    face?: { similarity: number; threshold: number; reference: string; probe: string };
    liveness?: {
      live: boolean;
      score: number;
      checks?: Check[];
      actions?: Array<{ action: string; done: boolean; at_ms: number | null }>;
      error?: string | null;
    };
    document?: { type?: string; checks?: Check[] };
    chip?: { checks?: Check[] };
    duplicate_face?: { matches: number; best_similarity: number };
  };
  extracted: Record<string, unknown>;
  evidence: Array<{ field: string; source: string }>;
  review: { decision: string; note: string | null; by: string | null; at: string } | null;
  erased: boolean;
  images: Array<{ kind: ImageKind; url: string }>;
  /** The liveness frame at each action the engine saw. */
  liveness_frames: Array<{ action: string; at_ms: number; url: string }>;
  /** Where the reader found each field, in pixels of the stored image of its side. */
  regions: { fields: Record<string, { side: Side; box: Box }> } | null;
  thresholds: {
    face: { decline_below: number; review_below: number };
    liveness: { decline_below: number; review_below: number };
    duplicate_face: { min_similarity: number };
  } | null;
}

/** pass / fail / warn / not_applicable from either shape of check the engines report. */
const resultOf = (c: Check) =>
  c.status ?? (c.passed === undefined ? 'not_applicable' : c.passed ? 'pass' : 'fail');
const BADGE: Record<string, string> = { pass: 'badge-ok', fail: 'badge-bad', warn: 'badge-warn' };
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const SIDE_OF: Partial<Record<ImageKind, Side>> = { document_front: 'front', document_back: 'back' };

/** The field under the reviewer's pointer or focus, on the image and in the table alike. */
interface Highlight {
  active: string | null;
  setActive(field: string | null): void;
}

/** The reviewer's case: images side by side, fields by source, checks, scores against thresholds, decision. */
export function SessionCasePage({ id }: { id: string }) {
  const { t } = useI18n();
  const res = useAsync(
    (s) => api.get<Case>(`/api/verification-sessions/${encodeURIComponent(id)}`, {}, s),
    [id],
  );
  return (
    <>
      <p>
        <Link href="/app/sessions">← {t('sessions.title')}</Link>
      </p>
      {res.loading && !res.data ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data ? <CaseView c={res.data} onDecided={res.reload} /> : null}
    </>
  );
}

function CaseView({ c, onDecided }: { c: Case; onDecided: () => void }) {
  const { t, fmtDate } = useI18n();
  const [active, setActive] = useState<string | null>(null);
  const hl: Highlight = { active, setActive };
  const figure = (i: { kind: ImageKind; url: string }) => (
    <CaseImage key={i.kind} image={i} regions={c.regions} hl={hl} />
  );
  const img = (k: ImageKind) => c.images.find((i) => i.kind === k);
  // The face pair the match was made on: the chip's signed portrait when there is one, else the card.
  const matched = c.checks.includes('face');
  const reference = matched ? (img('chip_face') ?? img('document_front')) : undefined;
  const probe = matched ? (img('selfie') ?? img('liveness_frame')) : undefined;
  const others = c.images.filter((i) => i !== reference && i !== probe && i.kind !== 'liveness_frame');
  const face = c.scores.face;
  return (
    <>
      <h1>
        {t('case.title')} <code>{c.id}</code> <StatusBadge status={c.status} />
      </h1>
      <section className="card">
        <dl className="kv">
          <dt>{t('case.reference')}</dt>
          <dd>{c.reference_id || '—'}</dd>
          <dt>{t('sessions.checks')}</dt>
          <dd>{c.checks.join(', ')}</dd>
          <dt>{t('keys.created')}</dt>
          <dd>{fmtDate(c.created_at)}</dd>
          <dt>{t('case.ruleVersion')}</dt>
          <dd>{c.decision ? c.decision.rule_version : '—'}</dd>
        </dl>
      </section>
      {c.erased ? (
        <div className="alert alert-warn" role="status">
          {t('case.erased')}
        </div>
      ) : null}

      {reference || probe ? (
        <section className="card" aria-labelledby="case-faces">
          <h2 id="case-faces">{t('case.faces')}</h2>
          <div className="case-pair">
            {reference ? figure(reference) : null}
            {probe ? figure(probe) : null}
          </div>
          {face ? (
            <p>
              {t('case.similarity')}: <strong>{pct(face.similarity)}</strong> ({t('case.threshold')}{' '}
              {pct(face.threshold)})
            </p>
          ) : null}
        </section>
      ) : null}
      {others.length > 0 ? (
        <section className="card" aria-labelledby="case-images">
          <h2 id="case-images">{t('case.images')}</h2>
          <div className="case-pair">{others.map(figure)}</div>
        </section>
      ) : null}

      <section className="card" aria-labelledby="case-reasons">
        <h2 id="case-reasons">{t('sessions.reasons')}</h2>
        {c.decision && c.decision.reasons.length > 0 ? (
          <ul className="plain-list">
            {c.decision.reasons.map((r) => (
              <li key={`${r.check}-${r.code}`}>
                <code>{r.code}</code> · {r.check} →{' '}
                <span className={`badge ${r.outcome === 'decline' ? 'badge-bad' : 'badge-warn'}`}>
                  {t(`case.outcome.${r.outcome}` as MsgKey)}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">—</p>
        )}
      </section>

      <Liveness c={c} frame={img('liveness_frame')} />
      <Scores c={c} />
      <Checks c={c} />
      <Fields c={c} hl={hl} />
      {c.status === 'review' ? <Decide id={c.id} onDone={onDecided} /> : null}
      {c.review ? (
        <section className="card" aria-labelledby="case-review">
          <h2 id="case-review">{t('case.reviewed')}</h2>
          <dl className="kv">
            <dt>{t('case.decision')}</dt>
            <dd>
              <StatusBadge status={c.review.decision} />
            </dd>
            <dt>{t('sessions.note')}</dt>
            <dd>{c.review.note ?? '—'}</dd>
            <dt>{t('case.decidedAt')}</dt>
            <dd>{fmtDate(c.review.at)}</dd>
          </dl>
        </section>
      ) : null}
    </>
  );
}

function CaseImage({
  image,
  regions,
  hl,
}: {
  image: { kind: ImageKind; url: string };
  regions: Case['regions'];
  hl: Highlight;
}) {
  const { t } = useI18n();
  const label = t(`case.image.${image.kind}` as MsgKey);
  // The boxes are in the image's own pixels: the overlay's viewBox is its natural size, so they
  // scale with however large the image is shown.
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const side = SIDE_OF[image.kind];
  const boxes = side && regions ? Object.entries(regions.fields).filter(([, r]) => r.side === side) : [];
  return (
    <figure className="case-figure">
      <span className="case-overlay">
        <img
          src={image.url}
          alt={label}
          data-kind={image.kind}
          onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })}
        />
        {size && boxes.length > 0 ? (
          <svg
            viewBox={`0 0 ${size.w} ${size.h}`}
            preserveAspectRatio="none"
            aria-labelledby={`regions-${side}-title`}
            data-testid={`regions-${side}`}
          >
            <title id={`regions-${side}-title`}>{t('case.regions', { image: label })}</title>
            {boxes.map(([field, { box }]) => {
              const [x, y, w, h] = box;
              const font = Math.max(12, size.w / 60);
              return (
                // biome-ignore lint/a11y/useSemanticElements: an SVG shape has no semantic element to use
                <g
                  key={field}
                  role="button"
                  tabIndex={0}
                  aria-label={field}
                  aria-pressed={hl.active === field}
                  data-field={field}
                  className={hl.active === field ? 'region active' : 'region'}
                  onMouseEnter={() => hl.setActive(field)}
                  onMouseLeave={() => hl.setActive(null)}
                  onFocus={() => hl.setActive(field)}
                  onBlur={() => hl.setActive(null)}
                >
                  <rect x={x} y={y} width={w} height={h} strokeWidth={size.w / 400} />
                  <text x={x} y={Math.max(font, y - font / 4)} fontSize={font}>
                    {field}
                  </text>
                </g>
              );
            })}
          </svg>
        ) : null}
      </span>
      <figcaption>{label}</figcaption>
    </figure>
  );
}

/** The liveness key frame beside the challenge's actions in order (seen or not, when) and its checks. */
function Liveness({ c, frame }: { c: Case; frame: { kind: ImageKind; url: string } | undefined }) {
  const { t } = useI18n();
  const live = c.scores.liveness;
  if (!live && !frame) return null;
  const checks = live?.checks ?? [];
  return (
    <section className="card" aria-labelledby="case-liveness">
      <h2 id="case-liveness">{t('case.liveness')}</h2>
      <ol className="liveness-strip">
        {frame ? (
          <li className="liveness-step">
            <img src={frame.url} alt={t('case.image.liveness_frame')} data-kind={frame.kind} />
            <span>{t('case.image.liveness_frame')}</span>
          </li>
        ) : null}
        {(live?.actions ?? []).map((a, i) => {
          const shot = c.liveness_frames.find((f) => f.action === a.action);
          const name = t(`case.action.${a.action}` as MsgKey);
          return (
            <li key={a.action} className="liveness-step" data-action={a.action}>
              {shot ? <img src={shot.url} alt={t('case.action.frame', { action: name })} /> : null}
              <span className="liveness-step-n">{i + 1}</span>
              <strong>{name}</strong>
              <span className={`badge ${a.done ? 'badge-ok' : 'badge-bad'}`}>
                {t(a.done ? 'case.action.done' : 'case.action.missed')}
              </span>
              {a.at_ms === null ? null : (
                <span className="muted small">{t('case.action.at', { s: (a.at_ms / 1000).toFixed(1) })}</span>
              )}
            </li>
          );
        })}
      </ol>
      {live?.error ? (
        <p>
          <code>{live.error}</code>
        </p>
      ) : null}
      {checks.length > 0 ? (
        <ul className="liveness-checks">
          {checks.map((x) => {
            const r = resultOf(x);
            return (
              <li key={x.code ?? x.name}>
                <span className={`badge ${BADGE[r] ?? 'badge-muted'}`}>
                  {t(`case.result.${r}` as MsgKey)}
                </span>{' '}
                <code>{x.code ?? x.name}</code>
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}

function Scores({ c }: { c: Case }) {
  const { t } = useI18n();
  const th = c.thresholds;
  const rows: Array<{ label: MsgKey; value: number; threshold: number | null; ok: boolean | null }> = [];
  if (c.scores.face) {
    const need = th?.face.review_below ?? c.scores.face.threshold;
    rows.push({
      label: 'case.score.face',
      value: c.scores.face.similarity,
      threshold: need,
      ok: c.scores.face.similarity >= need,
    });
  }
  if (c.scores.liveness) {
    const need = th?.liveness.review_below ?? null;
    const v = c.scores.liveness.score;
    rows.push({
      label: 'case.score.liveness',
      value: v,
      threshold: need,
      ok: need === null ? c.scores.liveness.live : v >= need,
    });
  }
  if (c.scores.duplicate_face) {
    const limit = th?.duplicate_face.min_similarity ?? null;
    rows.push({
      label: 'case.score.duplicate',
      value: c.scores.duplicate_face.best_similarity,
      threshold: limit,
      ok: false,
    });
  }
  if (rows.length === 0) return null;
  return (
    <section className="card" aria-labelledby="case-scores">
      <h2 id="case-scores">{t('case.scores')}</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('case.score')}</th>
              <th scope="col">{t('case.value')}</th>
              <th scope="col">{t('case.threshold')}</th>
              <th scope="col">{t('case.result')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label}>
                <td>{t(r.label)}</td>
                <td>{pct(r.value)}</td>
                <td>{r.threshold === null ? '—' : pct(r.threshold)}</td>
                <td>
                  <span className={`badge ${r.ok ? 'badge-ok' : 'badge-bad'}`}>
                    {t(r.ok ? 'case.pass' : 'case.fail')}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Checks({ c }: { c: Case }) {
  const { t } = useI18n();
  const groups: Array<[string, Check[]]> = [
    ['document', c.scores.document?.checks ?? []],
    ['chip', c.scores.chip?.checks ?? []],
    ['liveness', c.scores.liveness?.checks ?? []],
  ];
  const rows = groups.flatMap(([g, checks]) => checks.map((x) => ({ g, x })));
  if (rows.length === 0) return null;
  return (
    <section className="card" aria-labelledby="case-checks">
      <h2 id="case-checks">{t('case.checks')}</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('sessions.checks')}</th>
              <th scope="col">{t('case.check')}</th>
              <th scope="col">{t('case.result')}</th>
              <th scope="col">{t('case.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ g, x }) => {
              const r = resultOf(x);
              return (
                <tr key={`${g}-${x.code ?? x.name}`}>
                  <td>{g}</td>
                  <td>
                    <code>{x.code ?? x.name}</code>
                  </td>
                  <td>
                    <span className={`badge ${BADGE[r] ?? 'badge-muted'}`}>
                      {t(`case.result.${r}` as MsgKey)}
                    </span>
                  </td>
                  <td className="small">{x.detail ?? (x.value === undefined ? '' : x.value.toFixed(3))}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Fields({ c, hl }: { c: Case; hl: Highlight }) {
  const { t } = useI18n();
  const regions = c.regions?.fields ?? {};
  // Fields the reader located but could not read still have a place on the card to look at.
  const names = [...new Set([...Object.keys(c.extracted), ...Object.keys(regions)])];
  if (names.length === 0) return null;
  const source = (f: string) => c.evidence.find((e) => e.field === f)?.source ?? '—';
  return (
    <section className="card" aria-labelledby="case-fields">
      <h2 id="case-fields">{t('case.fields')}</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('case.field')}</th>
              <th scope="col">{t('case.value')}</th>
              <th scope="col">{t('case.source')}</th>
              <th scope="col">{t('case.where')}</th>
            </tr>
          </thead>
          <tbody>
            {names.map((k) => {
              const v = c.extracted[k];
              const r = regions[k];
              return (
                <tr
                  key={k}
                  data-field={k}
                  className={hl.active === k ? 'row-active' : undefined}
                  onMouseEnter={r ? () => hl.setActive(k) : undefined}
                  onMouseLeave={r ? () => hl.setActive(null) : undefined}
                >
                  <td>{k}</td>
                  <td>{v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v)}</td>
                  <td>
                    <code>{source(k)}</code>
                  </td>
                  <td>
                    {r ? (
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-pressed={hl.active === k}
                        onFocus={() => hl.setActive(k)}
                        onBlur={() => hl.setActive(null)}
                        onClick={() => hl.setActive(hl.active === k ? null : k)}
                      >
                        {t(r.side === 'front' ? 'case.where.front' : 'case.where.back')}
                      </button>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Decide({ id, onDone }: { id: string; onDone: () => void }) {
  const { t } = useI18n();
  const [note, setNote] = useState('');
  const action = useAction();
  const decide = async (decision: 'approved' | 'declined') => {
    const ok = await action.run(() =>
      api.post(`/api/verification-sessions/${encodeURIComponent(id)}/review`, {
        decision,
        ...(note.trim() ? { note: note.trim() } : {}),
      }),
    );
    if (ok !== undefined) onDone();
  };
  return (
    <section className="card" aria-labelledby="case-decide">
      <h2 id="case-decide">{t('sessions.review')}</h2>
      <Field label={t('sessions.note')}>
        {(fid) => (
          <textarea
            id={fid}
            maxLength={1000}
            rows={3}
            value={note}
            onChange={(e) => setNote(e.target.value)}
          />
        )}
      </Field>
      <ErrorBox error={action.error} />
      <div className="modal-actions">
        <button
          type="button"
          className="btn btn-danger"
          disabled={action.busy}
          onClick={() => decide('declined')}
        >
          {t('sessions.decline')}
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={action.busy}
          onClick={() => decide('approved')}
        >
          {t('sessions.approve')}
        </button>
      </div>
    </section>
  );
}
