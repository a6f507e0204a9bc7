import { useCallback, useEffect, useRef, useState } from 'react';
import { LangSwitch } from '../App.tsx';
import { ApiError, request } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { ErrorBox, Loading } from '../ui.tsx';
import { Liveness } from './Liveness.tsx';
import { type Hint, hintFor, measure } from './quality.ts';

/**
 * The hosted capture flow (no login; the token in the URL is the credential):
 * consent → card front → card back → selfie → review → upload → done → back to `redirect_url`.
 * Endpoints are the sessions module's token-authenticated capture API under `/v1/capture/<token>`.
 */
type Step = 'consent' | 'front' | 'back' | 'selfie' | 'liveness' | 'review' | 'done';
const SHOTS = ['front', 'back', 'selfie'] as const;
type Shot = (typeof SHOTS)[number];

interface CaptureInfo {
  id?: string;
  status?: string;
  checks?: string[];
  locale?: string;
  redirect_url?: string | null;
  customer_name?: string;
  expires_at?: string | null;
  uploads?: Array<{ slot: string; uploaded_at: string }>;
}

const OPEN = new Set(['created', 'collecting']);
const PENDING = new Set(['processing']);
const UPLOAD_PATH: Record<Shot, string> = {
  front: 'documents/front',
  back: 'documents/back',
  selfie: 'selfie',
};

/**
 * Which photos the session's checks need: the card for `document`, its front alone for `face` (the
 * card portrait is what the selfie is matched against when there is no chip), a selfie for
 * `face`/`liveness`.
 */
function shotsFor(checks: string[] | undefined): Shot[] {
  const c = checks ?? ['document', 'face'];
  const out: Shot[] = [];
  if (c.includes('document')) out.push('front', 'back');
  else if (c.includes('face') && !c.includes('chip')) out.push('front');
  if (c.includes('face') || c.includes('liveness')) out.push('selfie');
  return out;
}

const base = (token: string) => `/v1/capture/${encodeURIComponent(token)}`;

export function CaptureFlow({ token }: { token: string }) {
  const { t, setLang, label } = useI18n();
  const [info, setInfo] = useState<CaptureInfo | null>(null);
  const [loadError, setLoadError] = useState<unknown>();
  const [step, setStep] = useState<Step>('consent');
  const [shots, setShots] = useState<Partial<Record<Shot, Blob>>>({});
  const [progress, setProgress] = useState<number | null>(null);
  const [submitError, setSubmitError] = useState<unknown>();

  useEffect(() => {
    request<CaptureInfo>(base(token), { allow401: true }).then((i) => {
      setInfo(i);
      if (!localStorage.getItem('ekyc.lang') && (i.locale === 'en' || i.locale === 'vi')) setLang(i.locale);
      if (i.status && !OPEN.has(i.status)) setStep('done');
    }, setLoadError);
  }, [token, setLang]);

  // After submitting, poll until the checks have run (the result screen shows the outcome).
  useEffect(() => {
    if (step !== 'done' || !info?.status || !PENDING.has(info.status)) return;
    const timer = window.setTimeout(() => {
      request<CaptureInfo>(base(token), { allow401: true }).then(
        (i) => setInfo((old) => ({ ...old, ...i })),
        () => {},
      );
    }, 1500);
    return () => clearTimeout(timer);
  }, [step, info, token]);

  const needed = shotsFor(info?.checks);
  const live = info?.checks?.includes('liveness') ?? false;
  const steps: Step[] = ['consent', ...needed, ...(live ? (['liveness'] as const) : []), 'review'];
  const n = steps.indexOf(step) + 1;
  const after = (k: Step): Step => steps[steps.indexOf(k) + 1] ?? 'review';

  const submit = async () => {
    setSubmitError(undefined);
    setProgress(0);
    try {
      for (const [i, kind] of needed.entries()) {
        const blob = shots[kind];
        if (!blob) continue;
        await upload(`${base(token)}/${UPLOAD_PATH[kind]}`, blob, kind, (p) =>
          setProgress(Math.round(((i + p) / needed.length) * 90)),
        );
      }
      const done = await request<CaptureInfo>(`${base(token)}/submit`, { method: 'POST', allow401: true });
      setProgress(100);
      setInfo((old) => ({ ...old, ...done }));
      setStep('done');
    } catch (e) {
      setSubmitError(e);
      setProgress(null);
    }
  };

  let body: React.ReactNode;
  if (loadError) {
    const missing = loadError instanceof ApiError && loadError.code === 'ERR_ROUTE_NOT_FOUND';
    body = (
      <div className="alert alert-error" role="alert">
        {missing ? t('capture.missingApi') : t('capture.invalid')}
        {!missing && loadError instanceof ApiError && loadError.detail ? <div>{loadError.detail}</div> : null}
      </div>
    );
  } else if (!info) body = <Loading />;
  else if (step === 'consent') body = <Consent onAccept={() => setStep(steps[1] ?? 'review')} />;
  else if (step === 'front' || step === 'back' || step === 'selfie') {
    body = (
      <Camera
        key={step}
        kind={step}
        onCaptured={(blob) => {
          setShots((s) => ({ ...s, [step]: blob }));
          setStep(after(step));
        }}
      />
    );
  } else if (step === 'liveness') {
    body = <Liveness base={base(token)} onDone={() => setStep(after('liveness'))} />;
  } else if (step === 'review') {
    body = (
      <section aria-labelledby="review-h">
        <h2 id="review-h">{t('capture.review.title')}</h2>
        <div className="thumbs">
          {needed.map((k) => (
            <Thumb key={k} blob={shots[k]} label={t(`capture.${k}.title`)} onRetake={() => setStep(k)} />
          ))}
        </div>
        <ErrorBox error={submitError} />
        {progress !== null ? (
          <div className="progress-wrap">
            <progress max={100} value={progress} aria-label={t('capture.uploading', { p: progress })} />
            <span aria-live="polite">{t('capture.uploading', { p: progress })}</span>
          </div>
        ) : null}
        <button
          type="button"
          className="btn btn-primary btn-block"
          onClick={submit}
          disabled={progress !== null}
        >
          {t('capture.submit')}
        </button>
      </section>
    );
  } else {
    body = (
      <section className="done" aria-labelledby="done-h">
        <div className="done-icon" aria-hidden="true">
          ✓
        </div>
        <h2 id="done-h">{t('capture.done.title')}</h2>
        <p>{t('capture.done.body')}</p>
        {info?.status && PENDING.has(info.status) ? (
          <p className="muted" role="status" aria-live="polite">
            {t('capture.processing')}
          </p>
        ) : info?.status ? (
          <p role="status" data-testid="capture-status" data-status={info.status}>
            {t('capture.result', { status: label('status', info.status) })}
          </p>
        ) : null}
        {info?.redirect_url ? (
          <a className="btn btn-primary" href={info.redirect_url}>
            {t('capture.done.back')}
          </a>
        ) : null}
      </section>
    );
  }

  return (
    <div className="capture">
      <header className="capture-head">
        <img src="/favicon.svg" alt="" width={28} height={28} />
        <h1>{t('capture.title')}</h1>
        <LangSwitch />
      </header>
      {info && step !== 'done' ? (
        <p className="muted small" aria-live="polite">
          {t('capture.step', { n, total: steps.length })}
          {info.customer_name ? ` · ${info.customer_name}` : ''}
        </p>
      ) : null}
      <main id="main">{body}</main>
    </div>
  );
}

function upload(
  url: string,
  blob: Blob,
  kind: string,
  onProgress: (fraction: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'ERR_NETWORK', 'Network error'));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      try {
        const p = JSON.parse(xhr.responseText) as { code?: string; title?: string; detail?: string };
        reject(new ApiError(xhr.status, p.code ?? `HTTP_${xhr.status}`, p.title ?? 'Error', p.detail));
      } catch {
        reject(new ApiError(xhr.status, `HTTP_${xhr.status}`, xhr.statusText || 'Error'));
      }
    };
    const form = new FormData();
    form.append('file', blob, blob.type === 'image/png' ? `${kind}.png` : `${kind}.jpg`);
    xhr.send(form);
  });
}

function Consent({ onAccept }: { onAccept: () => void }) {
  const { t } = useI18n();
  const [ok, setOk] = useState(false);
  return (
    <section aria-labelledby="consent-h">
      <h2 id="consent-h">{t('capture.consent.title')}</h2>
      <p>{t('capture.consent.body')}</p>
      <ul>
        <li>{t('capture.consent.collect')}</li>
        <li>{t('capture.consent.why')}</li>
        <li>{t('capture.consent.keep')}</li>
      </ul>
      <label className="check">
        <input type="checkbox" checked={ok} onChange={(e) => setOk(e.target.checked)} />
        {t('capture.consent.check')}
      </label>
      <button type="button" className="btn btn-primary btn-block" disabled={!ok} onClick={onAccept}>
        {t('capture.consent.continue')}
      </button>
    </section>
  );
}

function Thumb({ blob, label, onRetake }: { blob: Blob | undefined; label: string; onRetake: () => void }) {
  const { t } = useI18n();
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!blob) return;
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return (
    <figure className="thumb">
      {url ? <img src={url} alt={label} /> : null}
      <figcaption>
        {label}{' '}
        <button type="button" className="btn btn-small" onClick={onRetake}>
          {t('capture.retake')}
        </button>
      </figcaption>
    </figure>
  );
}

const STABLE_FRAMES = 6;

/** Camera with a card-shaped or face-shaped overlay, live hints and auto-capture when sharp. */
function Camera({ kind, onCaptured }: { kind: Shot; onCaptured: (blob: Blob) => void }) {
  const { t } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  const [hint, setHint] = useState<Hint | null>(null);
  const [camError, setCamError] = useState(false);
  const [stable, setStable] = useState(0);
  const capturedRef = useRef(false);

  const grab = useCallback(async () => {
    const v = video.current;
    if (!v || capturedRef.current || !v.videoWidth) return;
    capturedRef.current = true;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext('2d')!.drawImage(v, 0, 0);
    const blob = await new Promise<Blob | null>((r) => c.toBlob(r, 'image/jpeg', 0.92));
    if (blob) onCaptured(blob);
    else capturedRef.current = false;
  }, [onCaptured]);

  useEffect(() => {
    let stream: MediaStream | undefined;
    let timer: number | undefined;
    let cancelled = false;
    let good = 0;
    const probe = document.createElement('canvas');
    probe.width = 160;
    probe.height = 120;
    const pctx = probe.getContext('2d', { willReadFrequently: true })!;
    (async () => {
      try {
        if (!navigator.mediaDevices?.getUserMedia) throw new Error('no camera API');
        stream = await navigator.mediaDevices.getUserMedia({
          video: {
            facingMode: kind === 'selfie' ? 'user' : 'environment',
            width: { ideal: 1280 },
            height: { ideal: 720 },
          },
          audio: false,
        });
        if (cancelled) return;
        const v = video.current!;
        v.srcObject = stream;
        await v.play().catch(() => {});
        timer = window.setInterval(() => {
          if (!v.videoWidth) return;
          pctx.drawImage(v, 0, 0, probe.width, probe.height);
          const q = measure(
            pctx.getImageData(0, 0, probe.width, probe.height).data,
            probe.width,
            probe.height,
          );
          const h = hintFor(q);
          setHint(h);
          good = h === 'ok' ? good + 1 : 0;
          setStable(good);
          if (good >= STABLE_FRAMES) void grab();
        }, 150);
      } catch {
        if (!cancelled) setCamError(true);
      }
    })();
    return () => {
      cancelled = true;
      if (timer) clearInterval(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, [kind, grab]);

  const title = t(`capture.${kind}.title`);
  const ring = Math.min(stable / STABLE_FRAMES, 1);
  return (
    <section aria-labelledby="cam-h">
      <h2 id="cam-h">{title}</h2>
      <p>{kind === 'selfie' ? t('capture.selfie.hint') : t('capture.card.hint')}</p>
      {camError ? (
        <p className="alert alert-warn" role="status">
          {t('capture.noCamera')}
        </p>
      ) : (
        <div className={`viewfinder viewfinder-${kind === 'selfie' ? 'face' : 'card'}`}>
          <video ref={video} playsInline muted aria-label={title} />
          <div className="overlay" aria-hidden="true" style={{ ['--ring' as string]: String(ring) }} />
          {hint ? (
            <div className={`hint hint-${hint}`} role="status" aria-live="polite">
              {t(`capture.hint.${hint}`)}
            </div>
          ) : null}
        </div>
      )}
      <div className="capture-actions">
        {!camError ? (
          <button type="button" className="btn btn-primary" onClick={() => void grab()}>
            {t('capture.shoot')}
          </button>
        ) : null}
        <label className="btn file-btn">
          {t('capture.upload')}
          <input
            type="file"
            accept="image/jpeg,image/png"
            capture={kind === 'selfie' ? 'user' : 'environment'}
            className="sr-only"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) onCaptured(f);
            }}
          />
        </label>
      </div>
    </section>
  );
}
