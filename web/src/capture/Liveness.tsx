import { useEffect, useRef, useState } from 'react';
import { ApiError, request } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { ErrorBox } from '../ui.tsx';

/**
 * The liveness challenge on the hosted capture page: `POST <base>/liveness` without a body issues
 * 2–3 actions; the page shows each action's instruction with a progress ring while it records the
 * camera at FPS frames per second, then sends every frame (JPEG) with its timestamp in one multipart
 * request. The server answers with the session view only (the verdict is for the customer, not the
 * applicant), so the page says "recorded" and moves on. A refused attempt can be retried with a new
 * challenge.
 */
export interface Challenge {
  id: string;
  actions: string[];
  expires_at: string;
}

/** Frames per second recorded (the server needs ≥ 4; 8 leaves room for slow phones). */
export const FPS = 8;
/** How long each action is shown, and the lead-in before recording starts. */
export const ACTION_MS = 2500;
const READY_MS = 1500;
/** Frames are downscaled to this width: enough for face landmarks, small enough to upload. */
const FRAME_WIDTH = 480;
/** The server's cap on frames per attempt. */
const MAX_FRAMES = 90;

type Phase = 'intro' | 'ready' | 'recording' | 'sending' | 'done' | 'failed' | 'nocamera';

export function Liveness({ base, onDone }: { base: string; onDone: () => void }) {
  const { t } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | null>(null);
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [phase, setPhase] = useState<Phase>('intro');
  const [error, setError] = useState<unknown>();
  const [actionIndex, setActionIndex] = useState(0);
  const [progress, setProgress] = useState(0);
  const [countdown, setCountdown] = useState(0);
  const [sent, setSent] = useState(0);

  // The camera opens once for the step; the challenge is issued on entry and again for a retry.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        if (!navigator.mediaDevices?.getUserMedia) throw new Error('no camera API');
        const s = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
          audio: false,
        });
        if (cancelled) {
          for (const tr of s.getTracks()) tr.stop();
          return;
        }
        stream.current = s;
        const v = video.current;
        if (v) {
          v.srcObject = s;
          await v.play().catch(() => {});
        }
      } catch {
        if (!cancelled) setPhase('nocamera');
      }
    })();
    return () => {
      cancelled = true;
      for (const tr of stream.current?.getTracks() ?? []) tr.stop();
    };
  }, []);

  const issue = async (): Promise<Challenge | null> => {
    try {
      const c = await request<Challenge>(`${base}/liveness`, { method: 'POST', allow401: true });
      setChallenge(c);
      return c;
    } catch (e) {
      setError(e);
      setPhase('failed');
      return null;
    }
  };

  const run = async () => {
    setError(undefined);
    // A challenge is single use and lives 60 s: each attempt takes a fresh one.
    const c = await issue();
    if (!c) return;
    const v = video.current;
    if (!v || !v.videoWidth) {
      setPhase('nocamera');
      return;
    }
    setPhase('ready');
    for (let s = Math.ceil(READY_MS / 500); s > 0; s--) {
      setCountdown(s);
      await sleep(500);
    }
    setPhase('recording');
    const canvas = document.createElement('canvas');
    canvas.width = FRAME_WIDTH;
    canvas.height = Math.round((FRAME_WIDTH * v.videoHeight) / v.videoWidth);
    const ctx2d = canvas.getContext('2d')!;
    const frames: Array<Promise<Blob | null>> = [];
    const times: number[] = [];
    const total = c.actions.length * ACTION_MS;
    const start = performance.now();
    const step = 1000 / FPS;
    for (let next = start; ; next += step) {
      const now = performance.now();
      if (now - start >= total || frames.length >= MAX_FRAMES) break;
      if (next > now) await sleep(next - now);
      const at = performance.now();
      ctx2d.drawImage(v, 0, 0, canvas.width, canvas.height);
      frames.push(new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.85)));
      times.push(Math.round(at - start));
      const elapsed = at - start;
      setActionIndex(Math.min(c.actions.length - 1, Math.floor(elapsed / ACTION_MS)));
      setProgress(Math.min(1, elapsed / total));
    }
    setProgress(1);
    setPhase('sending');
    const blobs = await Promise.all(frames);
    const form = new FormData();
    form.append('challenge_id', c.id);
    form.append('timestamps', JSON.stringify(times));
    blobs.forEach((b, i) => {
      if (b) form.append('frames', b, `frame-${String(i).padStart(3, '0')}.jpg`);
    });
    setSent(blobs.length);
    try {
      await request(`${base}/liveness`, { method: 'POST', form, allow401: true });
      setPhase('done');
    } catch (e) {
      setError(e);
      setPhase('failed');
    }
  };

  const action = challenge?.actions[actionIndex];
  const n = challenge?.actions.length ?? 0;
  const pct = Math.round(progress * 100);
  return (
    <section aria-labelledby="live-h" data-phase={phase}>
      <h2 id="live-h">{t('capture.liveness.title')}</h2>
      {phase === 'nocamera' ? (
        <p className="alert alert-warn" role="alert">
          {t('capture.liveness.needCamera')}
        </p>
      ) : null}
      <p>{t('capture.liveness.intro', { n: n || '2–3' })}</p>
      <div className="viewfinder viewfinder-face liveness-view">
        <video ref={video} playsInline muted aria-label={t('capture.liveness.title')} />
        <Ring value={progress} label={t('capture.liveness.progress', { p: pct })} />
        {phase === 'ready' ? (
          <div className="hint" role="status" aria-live="assertive">
            {t('capture.liveness.ready', { s: countdown })}
          </div>
        ) : null}
        {phase === 'recording' && action ? (
          <div className="liveness-instruction" role="status" aria-live="assertive">
            <span className="small">{t('capture.liveness.action', { i: actionIndex + 1, n })}</span>
            <strong data-testid="liveness-action" data-action={action}>
              {t(`capture.liveness.${action}` as 'capture.liveness.blink')}
            </strong>
          </div>
        ) : null}
        {phase === 'sending' ? (
          <div className="hint" role="status" aria-live="polite">
            {t('capture.liveness.sending', { n: sent })}
          </div>
        ) : null}
      </div>
      {challenge && (phase === 'intro' || phase === 'failed') ? (
        <ol className="liveness-list">
          {challenge.actions.map((a) => (
            <li key={a}>{t(`capture.liveness.${a}` as 'capture.liveness.blink')}</li>
          ))}
        </ol>
      ) : null}
      {phase === 'failed' ? <ErrorBox error={error} /> : null}
      {phase === 'done' ? (
        <p className="alert alert-ok" role="status">
          {t('capture.liveness.done')}
        </p>
      ) : null}
      <div className="capture-actions">
        {phase === 'intro' ? (
          <button type="button" className="btn btn-primary" onClick={() => void run()}>
            {t('capture.liveness.start')}
          </button>
        ) : null}
        {phase === 'failed' && !(error instanceof ApiError && error.status === 401) ? (
          <button type="button" className="btn btn-primary" onClick={() => void run()}>
            {t('capture.liveness.retry')}
          </button>
        ) : null}
        {phase === 'done' ? (
          <button type="button" className="btn btn-primary" onClick={onDone}>
            {t('capture.liveness.continue')}
          </button>
        ) : null}
      </div>
    </section>
  );
}

/** A circular progress ring drawn over the face oval (SVG, announced as a progressbar). */
function Ring({ value, label }: { value: number; label: string }) {
  const r = 46;
  const c = 2 * Math.PI * r;
  return (
    <svg
      className="liveness-ring"
      viewBox="0 0 100 100"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(value * 100)}
    >
      <circle cx="50" cy="50" r={r} fill="none" stroke="#ffffff55" strokeWidth="3" />
      <circle
        cx="50"
        cy="50"
        r={r}
        fill="none"
        stroke="#2ecc71"
        strokeWidth="3"
        strokeLinecap="round"
        strokeDasharray={c}
        strokeDashoffset={c * (1 - value)}
        transform="rotate(-90 50 50)"
      />
    </svg>
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
