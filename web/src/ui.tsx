import { type DependencyList, type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from './api.ts';
import { useI18n } from './i18n.tsx';

/** Shows an API error as the server's message (title + detail + field errors), never a blank page. */
export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  const e = error instanceof ApiError ? error : undefined;
  const title = e ? (e.code === 'ERR_NETWORK' ? t('error.network') : e.title) : t('error.title');
  return (
    <div className="alert alert-error" role="alert">
      <strong>{title}</strong>
      {e?.detail && e.code !== 'ERR_NETWORK' ? <div>{e.detail}</div> : null}
      {!e && error instanceof Error ? <div>{error.message}</div> : null}
      {e && e.errors.length > 0 ? (
        <ul>
          {e.errors.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code> {f.message}
            </li>
          ))}
        </ul>
      ) : null}
      {e?.requestId ? (
        <div className="muted small">
          {t('common.requestId')}: <code>{e.requestId}</code> · <code>{e.code}</code>
        </div>
      ) : null}
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          {t('common.retry')}
        </button>
      ) : null}
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="muted" aria-live="polite" aria-busy="true">
      {t('common.loading')}
    </p>
  );
}

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `fn` when `deps` change; ignores answers that arrive after a newer request started. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's
  useEffect(() => {
    const ctrl = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    fn(ctrl.signal).then(
      (data) => {
        if (!ctrl.signal.aborted) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (!ctrl.signal.aborted) setState({ error, loading: false });
      },
    );
    return () => ctrl.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Wraps an async action: busy flag and the error to show. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/** A native <dialog>: focus is trapped by the browser and Escape closes it. */
export function Modal({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-labelledby={id}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={id}>{title}</h2>
      {children}
    </dialog>
  );
}

/**
 * A dialog around one form: its fields, the API's error, Cancel and the submit button (disabled while
 * `onSubmit` runs). `onDone` gets the answer; on an error the dialog stays open and shows it. A form
 * without fields is a confirmation.
 */
export function FormModal<T>({
  title,
  submit,
  danger = false,
  cancel,
  onSubmit,
  onDone,
  onClose,
  children,
}: {
  title: string;
  submit: string;
  danger?: boolean;
  cancel?: string;
  onSubmit: () => Promise<T>;
  onDone: (answer: T) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const action = useAction();
  return (
    <Modal title={title} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const answer = await action.run(onSubmit);
          if (answer !== undefined) onDone(answer);
        }}
      >
        {children}
        <ErrorBox error={action.error} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose}>
            {cancel ?? t('common.cancel')}
          </button>
          <button
            type="submit"
            className={danger ? 'btn btn-danger' : 'btn btn-primary'}
            disabled={action.busy}
          >
            {submit}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** A secret shown once (API key, signing secret, temporary password): warning, copy button, Close. */
export function SecretModal({
  title,
  warning,
  secret,
  testId,
  note,
  onClose,
}: {
  title: string;
  warning: string;
  secret: string;
  testId: string;
  note?: string | null;
  onClose: () => void;
}) {
  const { t } = useI18n();
  return (
    <Modal title={title} onClose={onClose}>
      <p className="alert alert-warn">{warning}</p>
      <div className="secret">
        <code data-testid={testId}>{secret}</code>
        <CopyButton text={secret} />
      </div>
      {note ? <p className="muted">{note}</p> : null}
      <div className="modal-actions">
        <button type="button" className="btn btn-primary" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Modal>
  );
}

export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, hintId)}
      {hint ? (
        <small id={hintId} className="muted">
          {hint}
        </small>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function CopyButton({ text }: { text: string }) {
  const { t } = useI18n();
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="btn btn-small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setDone(true);
        } catch {
          // clipboard blocked (insecure context): the text stays selectable
        }
      }}
    >
      {done ? t('common.copied') : t('common.copy')}
    </button>
  );
}
