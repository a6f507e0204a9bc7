import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { type MsgKey, useI18n } from '../i18n.tsx';
import { useUser } from '../session.tsx';
import { ErrorBox, Field, Loading, useAction, useAsync } from '../ui.tsx';

type Outcome = 'approve' | 'review' | 'decline';

/** The rules document as the server stores it (src/modules/decisions/rules.ts). */
interface Rules {
  required_checks: string[];
  face: { decline_below: number; review_below: number; on_quality_issues: Outcome };
  liveness: { decline_below: number; review_below: number; on_passive_warning: Outcome };
  document: Record<
    'on_expired' | 'on_quality_issues' | 'on_unreadable' | 'on_inconsistency' | 'on_suspected_copy',
    Outcome
  >;
  chip: Record<'on_untrusted_issuer' | 'on_integrity_failure', Outcome>;
  duplicate_face: { action: Outcome; min_similarity: number };
  session_ttl_minutes: number;
}

interface RulesVersion {
  version: number;
  rules: Rules;
  created_at: string | null;
}

const CHECKS = ['document', 'face', 'liveness', 'chip'] as const;
const OUTCOMES: Outcome[] = ['approve', 'review', 'decline'];

/** The customer admin's decision rules: the version in force, a form for a new version, the history. */
export function RulesPage() {
  const { t } = useI18n();
  const user = useUser();
  return (
    <>
      <h1>{t('rules.title')}</h1>
      <p className="muted">{t('rules.intro')}</p>
      {user.customer_id ? <RulesEditor customerId={user.customer_id} /> : <p>{t('keys.noCustomer')}</p>}
    </>
  );
}

function RulesEditor({ customerId }: { customerId: string }) {
  const { t, fmtDate } = useI18n();
  const url = `/api/customers/${customerId}/decision-rules`;
  const res = useAsync(
    (s) => api.get<{ current: RulesVersion; versions: RulesVersion[] }>(url, undefined, s),
    [url],
  );
  const [rules, setRules] = useState<Rules>();
  const [saved, setSaved] = useState<number>();
  const action = useAction();
  useEffect(() => setRules(res.data?.current.rules), [res.data]);

  if (res.loading && !res.data) return <Loading />;
  if (!rules || !res.data) return <ErrorBox error={res.error} onRetry={res.reload} />;

  const score = (label: MsgKey, value: number, set: (v: number) => void) => (
    <Field label={t(label)}>
      {(id) => (
        <input
          id={id}
          type="number"
          min={0}
          max={1}
          step={0.01}
          required
          value={value}
          onChange={(e) => set(Number(e.target.value))}
        />
      )}
    </Field>
  );
  const outcome = (label: MsgKey, value: Outcome, set: (v: Outcome) => void) => (
    <Field label={t(label)}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => set(e.target.value as Outcome)}>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {t(`rules.outcome.${o}`)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  const doc = (k: keyof Rules['document']) =>
    outcome(`rules.document.${k}`, rules.document[k], (v) =>
      setRules({ ...rules, document: { ...rules.document, [k]: v } }),
    );
  const chip = (k: keyof Rules['chip']) =>
    outcome(`rules.chip.${k}`, rules.chip[k], (v) => setRules({ ...rules, chip: { ...rules.chip, [k]: v } }));

  return (
    <>
      <p data-testid="rules-version">
        {t('rules.current', { v: res.data.current.version })}
        {res.data.current.created_at ? ` · ${fmtDate(res.data.current.created_at)}` : ''}
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setSaved(undefined);
          const v = await action.run(() => api.put<RulesVersion>(url, rules));
          if (v) {
            setSaved(v.version);
            res.reload();
          }
        }}
      >
        <div className="cards">
          <fieldset className="card">
            <legend>{t('rules.checks')}</legend>
            {CHECKS.map((c) => (
              <label className="check" key={c}>
                <input
                  type="checkbox"
                  checked={rules.required_checks.includes(c)}
                  onChange={(e) =>
                    setRules({
                      ...rules,
                      required_checks: e.target.checked
                        ? [...rules.required_checks, c]
                        : rules.required_checks.filter((x) => x !== c),
                    })
                  }
                />
                {c}
              </label>
            ))}
            <Field label={t('rules.ttl')}>
              {(id) => (
                <input
                  id={id}
                  type="number"
                  min={5}
                  max={10080}
                  required
                  value={rules.session_ttl_minutes}
                  onChange={(e) => setRules({ ...rules, session_ttl_minutes: Number(e.target.value) })}
                />
              )}
            </Field>
          </fieldset>
          <fieldset className="card">
            <legend>{t('rules.face')}</legend>
            {score('rules.declineBelow', rules.face.decline_below, (v) =>
              setRules({ ...rules, face: { ...rules.face, decline_below: v } }),
            )}
            {score('rules.reviewBelow', rules.face.review_below, (v) =>
              setRules({ ...rules, face: { ...rules.face, review_below: v } }),
            )}
            {outcome('rules.face.quality', rules.face.on_quality_issues, (v) =>
              setRules({ ...rules, face: { ...rules.face, on_quality_issues: v } }),
            )}
          </fieldset>
          <fieldset className="card">
            <legend>{t('rules.liveness')}</legend>
            {score('rules.declineBelow', rules.liveness.decline_below, (v) =>
              setRules({ ...rules, liveness: { ...rules.liveness, decline_below: v } }),
            )}
            {score('rules.reviewBelow', rules.liveness.review_below, (v) =>
              setRules({ ...rules, liveness: { ...rules.liveness, review_below: v } }),
            )}
            {outcome('rules.liveness.passive', rules.liveness.on_passive_warning, (v) =>
              setRules({ ...rules, liveness: { ...rules.liveness, on_passive_warning: v } }),
            )}
          </fieldset>
          <fieldset className="card">
            <legend>{t('rules.document')}</legend>
            {doc('on_expired')}
            {doc('on_quality_issues')}
            {doc('on_unreadable')}
            {doc('on_inconsistency')}
            {doc('on_suspected_copy')}
          </fieldset>
          <fieldset className="card">
            <legend>{t('rules.chip')}</legend>
            {chip('on_untrusted_issuer')}
            {chip('on_integrity_failure')}
          </fieldset>
          <fieldset className="card">
            <legend>{t('rules.duplicate')}</legend>
            {outcome('rules.duplicate.action', rules.duplicate_face.action, (v) =>
              setRules({ ...rules, duplicate_face: { ...rules.duplicate_face, action: v } }),
            )}
            {score('rules.duplicate.similarity', rules.duplicate_face.min_similarity, (v) =>
              setRules({ ...rules, duplicate_face: { ...rules.duplicate_face, min_similarity: v } }),
            )}
          </fieldset>
        </div>
        <ErrorBox error={action.error} />
        {saved !== undefined ? (
          <p className="alert alert-ok" role="status">
            {t('rules.saved', { v: saved })}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          {t('rules.save')}
        </button>
      </form>
      <h2>{t('rules.history')}</h2>
      {res.data.versions.length === 0 ? (
        <p className="muted">{t('rules.defaults')}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('rules.version')}</th>
                <th scope="col">{t('keys.created')}</th>
                <th scope="col">{t('rules.face')}</th>
                <th scope="col">{t('rules.liveness')}</th>
              </tr>
            </thead>
            <tbody>
              {res.data.versions.map((v) => (
                <tr key={v.version}>
                  <td>{v.version}</td>
                  <td>{fmtDate(v.created_at)}</td>
                  <td>
                    {v.rules.face.decline_below} / {v.rules.face.review_below}
                  </td>
                  <td>
                    {v.rules.liveness.decline_below} / {v.rules.liveness.review_below}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
