import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { type ApiKey, api, type NewApiKey, type Project, type Scope } from '../api';
import { ErrorBox, isAdmin, ShownOnce, type Who, when } from '../ui';

const SCOPES = [
  ['query', 'query — chat and retrieve'],
  ['ingest', 'ingest — add and read documents'],
  ['review', 'review — golden questions, documents, chat (for your customer in this dashboard)'],
] as const;

export function KeysTab({ who, projectId }: { who: Who; projectId: string }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['query']);
  const [env, setEnv] = useState('production');
  const [expires, setExpires] = useState('');
  const [made, setMade] = useState<NewApiKey | null>(null);
  const admin = isAdmin(who);

  const load = async () => {
    try {
      setKeys((await api((o) => o.project(projectId).keys.list())).keys);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [projectId]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const body = {
        scopes: scopes as Scope[],
        environment: env as Project['environment'],
        ...(name.trim() ? { name: name.trim() } : {}),
        // a day picked is the last day the key works: it expires at the end of it, UTC
        ...(expires ? { expires_at: `${expires}T23:59:59Z` } : {}),
      };
      setMade((await api((o) => o.project(projectId).keys.create(body))).api_key);
      setName('');
      setExpires('');
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!confirm(`Revoke the key "${k.name ?? k.prefix}"? It stops working at once.`)) return;
    setError(null);
    try {
      await api((o) => o.project(projectId).keys.revoke(k.id));
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const toggle = (s: string, on: boolean) => setScopes((old) => (on ? [...old, s] : old.filter((x) => x !== s)));
  const dashboardLink = `${location.origin}${location.pathname}#/?project=${encodeURIComponent(projectId)}`;

  return html`<div>
    ${
      admin &&
      html`<form class="card" onSubmit=${create} aria-labelledby="new-key-h">
        <h2 id="new-key-h">New project key</h2>
        <div class="inline-form">
          <div class="field"><label for="pk-name">Name (optional)</label>
            <input id="pk-name" maxLength=${200} value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></div>
          <div class="field"><label for="pk-env">Environment</label>
            <select id="pk-env" value=${env} onChange=${(e: Event) => setEnv((e.target as HTMLSelectElement).value)}>
              <option value="production">production</option><option value="staging">staging</option>
            </select></div>
          <div class="field"><label for="pk-expires">Works until (optional, the end of that day UTC)</label>
            <input id="pk-expires" type="date" value=${expires} min=${new Date().toISOString().slice(0, 10)}
              onInput=${(e: Event) => setExpires((e.target as HTMLInputElement).value)} /></div>
        </div>
        <fieldset><legend>Scopes</legend>
          ${SCOPES.map(
            ([
              s,
              label,
            ]) => html`<div class="check"><input type="checkbox" id=${`pk-scope-${s}`} checked=${scopes.includes(s)}
              onChange=${(e: Event) => toggle(s, (e.target as HTMLInputElement).checked)} />
              <label for=${`pk-scope-${s}`}>${label}</label></div>`,
          )}
        </fieldset>
        <button type="submit" class="primary" disabled=${scopes.length === 0}>Create key</button>
        ${
          made &&
          html`<${ShownOnce} label=${`New key (${made.scopes.join(', ')}, ${made.environment})`} value=${made.key}
            extra=${
              made.scopes.includes('review') &&
              html`<p class="hint">To let your customer review golden questions, send them this key and the dashboard
                link <code>${dashboardLink}</code> (the project id is <code>${projectId}</code>).</p>`
            } />`
        }
      </form>`
    }
    <${ErrorBox} error=${error} />
    ${keys === null && !error && html`<p class="loading">Loading keys…</p>`}
    ${
      keys &&
      html`<div class="table-wrap"><table class="keys">
        <caption class="sr-only">Project keys</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Environment</th>
          <th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th>
          ${admin && html`<th scope="col"><span class="sr-only">Actions</span></th>`}</tr></thead>
        <tbody>${keys.map(
          (k) => html`<tr key=${k.id} data-key-id=${k.id}>
            <td>${k.name ?? '—'}</td><td><code>${k.prefix}…</code></td><td>${k.scopes.join(', ')}</td>
            <td>${k.environment}</td><td>${when(k.created_at)}</td><td>${when(k.last_used_at)}</td>
            <td class="key-status">${keyStatus(k)}</td>
            ${
              admin &&
              html`<td>${
                !k.revoked_at &&
                !expired(k) &&
                html`<button type="button" class="danger" onClick=${() => revoke(k)}
                aria-label=${`Revoke ${k.name ?? k.prefix}`}>Revoke</button>`
              }</td>`
            }
          </tr>`,
        )}</tbody>
      </table></div>`
    }
  </div>`;
}

/** A key past its expiry no longer works, whatever else it says (the API answers it 401). */
const expired = (k: ApiKey) => Boolean(k.expires_at && Date.parse(k.expires_at) <= Date.now());

function keyStatus(k: ApiKey) {
  if (k.revoked_at) return `revoked ${when(k.revoked_at)}`;
  if (expired(k)) return html`<span class="badge badge-expired">expired</span> ${when(k.expires_at)}`;
  if (k.expires_at) return `active, expires ${when(k.expires_at)}`;
  return 'active';
}
