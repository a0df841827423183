import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, type Company, type Role } from './api';

/** Who is signed in, as far as the dashboard can tell from the API. */
export type Who =
  | { kind: 'company'; role: Role; company: Company }
  | { kind: 'project'; projectId: string; scopes: string[] };

/** Only a company admin key changes anything at company level; viewers see no such control. */
export const isAdmin = (who: Who) => who.kind === 'company' && who.role === 'admin';

export function message(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${message(error)}</p>`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/** A link target that is safe to put in href: http(s) or a path on the vendor's site; nothing else. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  const u = url.trim();
  if (/^https?:\/\//i.test(u)) return u;
  if (u.startsWith('/') && !u.startsWith('//') && !u.includes('\\')) return u;
  return null;
}

let seq = 0;
export const uid = (p: string) => `${p}-${++seq}`;

/** A secret shown exactly once, with a copy button. */
export function ShownOnce({ label, value, extra }: { label: string; value: string; extra?: unknown }) {
  const [id] = useState(() => uid('secret'));
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      const input = document.getElementById(id) as HTMLInputElement | null;
      input?.select();
      setCopied('Selected: press Ctrl+C (⌘C) to copy.');
    }
  };
  return html`<div class="shown-once" role="status">
    <label for=${id}>${label}</label>
    <div class="row">
      <input id=${id} class="secret" readonly value=${value} onFocus=${(e: Event) => (e.target as HTMLInputElement).select()} />
      <button type="button" onClick=${copy}>Copy</button>
    </div>
    <p class="hint">This is the only time it is shown. Store it somewhere safe now. ${copied}</p>
    ${extra}
  </div>`;
}

export function Status({ status }: { status: string }) {
  return html`<span class=${`badge badge-${status}`}>${status}</span>`;
}
