import { useEffect, useRef, useState } from 'react';
import { fetchFile } from './api.ts';
import { useI18n } from './i18n.tsx';
import { ErrorBox } from './ui.tsx';

type Query = Record<string, string | number | undefined>;

/**
 * An export: the server builds the whole file before its first byte, so the button shows the seconds
 * waited, then the bytes received, and saves the file only when it is complete. A refusal is shown
 * as the API's message instead of a saved problem document.
 */
export function DownloadButton({ url, query, label }: { url: string; query: Query; label: string }) {
  const { t, fmtNumber } = useI18n();
  const [state, setState] = useState<{
    started: number;
    received: number;
    total: number | null;
  } | null>(null);
  const [error, setError] = useState<unknown>();
  const [now, setNow] = useState(0);
  const ctrl = useRef<AbortController | null>(null);
  useEffect(() => () => ctrl.current?.abort(), []);
  useEffect(() => {
    if (!state) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [state]);

  const start = async () => {
    setError(undefined);
    const started = Date.now();
    setNow(started);
    setState({ started, received: 0, total: null });
    ctrl.current = new AbortController();
    try {
      const file = await fetchFile(
        url,
        query,
        (received, total) => setState({ started, received, total }),
        ctrl.current.signal,
      );
      const href = URL.createObjectURL(file.blob);
      const a = document.createElement('a');
      a.href = href;
      a.download = file.filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setError(e);
    } finally {
      setState(null);
    }
  };

  const kb = (n: number) => fmtNumber(Math.ceil(n / 1024));
  return (
    <div className="download">
      <button type="button" className="btn" disabled={state !== null} onClick={start}>
        {label}
      </button>
      {state ? (
        <span className="small muted" role="status" data-testid="download-progress">
          <progress
            aria-label={label}
            max={state.total ?? undefined}
            value={state.total ? state.received : undefined}
          />{' '}
          {state.received === 0
            ? t('download.preparing', { s: Math.max(0, Math.round((now - state.started) / 1000)) })
            : state.total
              ? t('download.progress', { got: kb(state.received), total: kb(state.total) })
              : t('download.received', { got: kb(state.received) })}{' '}
          <button type="button" className="btn btn-small" onClick={() => ctrl.current?.abort()}>
            {t('common.cancel')}
          </button>
        </span>
      ) : null}
      <ErrorBox error={error} />
    </div>
  );
}
