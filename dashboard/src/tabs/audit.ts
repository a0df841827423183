import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { type AuditEvent, api } from '../api';
import { ErrorBox, when } from '../ui';

/** The project's audit log; the API pages it newest first, the filters work on what is loaded. */
export function AuditTab({ projectId }: { projectId: string }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [action, setAction] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);

  const load = async (after: string | null) => {
    try {
      const page = await api((o) => o.project(projectId).audit({ limit: 200, cursor: after ?? undefined }));
      setEvents((old) => (after ? [...(old ?? []), ...page.events] : page.events));
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load(null);
  }, [projectId]);

  const all = events ?? [];
  const actions = [...new Set(all.map((e) => e.action))].sort();
  const keys = [...new Set(all.map((e) => e.actor.key_id))].sort();
  const shown = all.filter((e) => (!action || e.action === action) && (!key || e.actor.key_id === key));

  return html`<div>
    <div class="inline-form">
      <div class="field"><label for="audit-action">Action</label>
        <select id="audit-action" value=${action} onChange=${(e: Event) => setAction((e.target as HTMLSelectElement).value)}>
          <option value="">all actions</option>${actions.map((a) => html`<option key=${a} value=${a}>${a}</option>`)}
        </select></div>
      <div class="field"><label for="audit-key">Key</label>
        <select id="audit-key" value=${key} onChange=${(e: Event) => setKey((e.target as HTMLSelectElement).value)}>
          <option value="">all keys</option>${keys.map((k) => html`<option key=${k} value=${k}>${k}</option>`)}
        </select></div>
      <button type="button" onClick=${() => load(null)}>Refresh</button>
    </div>
    <${ErrorBox} error=${error} />
    <p class="sub" role="status">${shown.length} of ${all.length} loaded events${cursor ? ' (more available)' : ''}</p>
    <div class="table-wrap"><table class="audit">
      <caption class="sr-only">Audit events</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Key</th>
        <th scope="col">Resource</th><th scope="col">Request</th></tr></thead>
      <tbody>${shown.map(
        (e) => html`<tr key=${e.request_id + e.at}>
          <td>${when(e.at)}</td><td>${e.action}</td><td class=${`outcome-${e.outcome}`}>${e.outcome}</td>
          <td><code>${e.actor.key_id}</code> <span class="sub">${e.actor.type}</span></td>
          <td class="resource">${e.resource}</td><td><code>${e.request_id}</code></td>
        </tr>`,
      )}</tbody>
    </table></div>
    ${cursor && html`<button type="button" onClick=${() => load(cursor)}>Load older events</button>`}
  </div>`;
}
