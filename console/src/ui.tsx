/** Small pieces every page uses: errors, statuses, times, JSON, and buttons that call the API. */
import { useState, type ReactNode } from 'react';
import { messageOf } from './api';

/** An error as the problem's detail, announced to screen readers. */
export function ErrorText({ error }: { error: string | null }) {
  if (error === null) return null;
  return (
    <p className="error" role="alert">
      {error}
    </p>
  );
}

/** A run or component status as a coloured badge. */
export function Status({ value }: { value: string }) {
  return <span className={`status status-${value}`}>{value.replace('_', ' ')}</span>;
}

/** An epoch-ms time, or a dash. */
export function Time({ at }: { at: number | null | undefined }) {
  if (at === null || at === undefined) return <span className="muted">—</span>;
  const date = new Date(at);
  return <time dateTime={date.toISOString()}>{date.toLocaleString()}</time>;
}

/** A JSON value, pretty-printed. */
export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre className="json" aria-label={label}>
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A titled section of a page. */
export function Panel({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="panel" aria-label={title}>
      <header className="panel-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** Runs an API call for a form: busy while it runs, its error afterwards; `run` answers whether it succeeded. */
export function useAction(): { busy: boolean; error: string | null; run: (call: () => Promise<unknown>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return {
    busy,
    error,
    clear: () => setError(null),
    run: async (call) => {
      setBusy(true);
      setError(null);
      try {
        await call();
        return true;
      } catch (failure) {
        setError(messageOf(failure));
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
}
