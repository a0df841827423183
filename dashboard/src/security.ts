import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox } from './ui';

/** docs/security.md, converted to HTML (escaped) when the dashboard is built. */
export function SecurityPage() {
  const [body, setBody] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    fetch('security.html', { cache: 'no-store' })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error('The security page is not part of this build.'))))
      .then(setBody)
      .catch(setError);
  }, []);
  return html`<div class="page">
    <${ErrorBox} error=${error} />
    ${body === null && !error && html`<p class="loading">Loading…</p>`}
    ${body !== null && html`<article class="markdown" dangerouslySetInnerHTML=${{ __html: body }}></article>`}
  </div>`;
}
