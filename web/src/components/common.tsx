// Small shared pieces: error banners, field errors, kind badges, confirm dialog, empty states.

import { useEffect, useId, useRef, type ReactNode } from 'react';
import { isApiError } from '../api/client';
import { kindLabel } from '../lib/orgs';

/** A readable message for any thrown value. */
export function errorMessage(e: unknown): string {
  if (isApiError(e)) {
    if (e.status === 429 && e.retryAfter && !e.message.includes(String(Math.ceil(e.retryAfter)))) {
      return `${e.message} (retry in ${Math.ceil(e.retryAfter)} s)`;
    }
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

export function ErrorBanner({ error, title, onDismiss }: { error: unknown; title?: string; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert" data-testid="error-banner">
      <div>
        {title && <strong>{title} </strong>}
        {typeof error === 'string' ? error : errorMessage(error)}
      </div>
      {onDismiss && (
        <button type="button" className="btn-link" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warning' }) {
  return (
    <div className={`alert alert-${tone}`} role="status">
      {children}
    </div>
  );
}

export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id} role="alert" data-testid={id}>
      {message}
    </p>
  );
}

/** `aria-describedby` for an input with optional help text and error. */
export function describedBy(id: string, error?: string, help?: boolean): string | undefined {
  const ids = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids || undefined;
}

/** A labelled form field; the control inside must carry `id`. The error shows under it as `<id>-error`. */
export function Field({
  id,
  label,
  error,
  help,
  className,
  children,
}: {
  id: string;
  label: ReactNode;
  error?: string;
  help?: ReactNode;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={['field', error ? 'has-error' : '', className ?? ''].filter(Boolean).join(' ')}>
      <label htmlFor={id}>{label}</label>
      {children}
      {help && (
        <p className="help" id={`${id}-help`}>
          {help}
        </p>
      )}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

export function KindBadge({ kind }: { kind: string }) {
  return (
    <span className={`badge kind-${kind}`} data-testid="kind-badge">
      {kindLabel(kind)}
    </span>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

/** A modal confirmation using the native <dialog> element. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: unknown;
  onConfirm(): void;
  onCancel(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      data-testid="confirm-dialog"
    >
      {open && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            onConfirm();
          }}
        >
          <h2 id={titleId}>{title}</h2>
          <div className="dialog-body">{children}</div>
          <ErrorBanner error={error} />
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onCancel} disabled={busy}>
              Cancel
            </button>
            <button type="submit" className={danger ? 'btn btn-danger' : 'btn btn-primary'} disabled={busy} autoFocus>
              {busy ? 'Working…' : confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

/**
 * The footer of a page-by-page table (see lib/usePages): "Page 2 · 120 incidents" and the
 * Previous/Next buttons. `noun` is singular; an "s" is added unless the total is one, or
 * `plural` is used when given ("advisories").
 */
export function Pager({
  pages,
  noun,
  plural,
  testId,
}: {
  pages: {
    pageIndex: number;
    total: number;
    totalCapped?: boolean;
    next: string | null;
    goPrev: () => void;
    goNext: () => void;
  };
  noun: string;
  plural?: string;
  testId?: string;
}) {
  return (
    <div className="table-footer">
      <span className="muted" data-testid={testId}>
        Page {pages.pageIndex + 1} · {pages.total.toLocaleString('en')}
        {pages.totalCapped ? '+' : ''} {pages.total === 1 ? noun : (plural ?? `${noun}s`)}
      </span>
      <span className="pager">
        <button type="button" className="btn" disabled={pages.pageIndex === 0} onClick={pages.goPrev}>
          Previous
        </button>
        <button type="button" className="btn" disabled={!pages.next} onClick={pages.goNext}>
          Next
        </button>
      </span>
    </div>
  );
}
