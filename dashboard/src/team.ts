import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { type ApiKey, api, type NewApiKey, type Role } from './api';
import { ErrorBox, isAdmin, ShownOnce, type Who, when } from './ui';

export function TeamPage({ who }: { who: Who }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [made, setMade] = useState<NewApiKey | null>(null);
  const admin = isAdmin(who);

  const load = async () => {
    try {
      setKeys((await api((o) => o.company.listKeys())).keys);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const res = await api((o) => o.company.createKey({ name, role: role as Role }));
      setMade(res.api_key);
      setName('');
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!confirm(`Revoke the key "${k.name ?? k.prefix}"? It stops working at once.`)) return;
    setError(null);
    try {
      await api((o) => o.company.revokeKey(k.id));
      await load();
    } catch (err) {
      setError(err);
    }
  };

  return html`<div class="page">
    <h1>Team</h1>
    <p>Company keys: one per member of your team. An <strong>admin</strong> key changes anything in the company; a <strong>viewer</strong> key only reads.</p>
    ${
      admin &&
      html`<section class="card" aria-labelledby="add-member-h">
        <h2 id="add-member-h">Add a member's key</h2>
        <form onSubmit=${create} class="inline-form">
          <div class="field"><label for="tk-name">Member name</label>
            <input id="tk-name" required maxLength=${200} value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></div>
          <div class="field"><label for="tk-role">Role</label>
            <select id="tk-role" value=${role} onChange=${(e: Event) => setRole((e.target as HTMLSelectElement).value)}>
              <option value="viewer">viewer (read-only)</option><option value="admin">admin</option>
            </select></div>
          <button type="submit" class="primary">Create key</button>
        </form>
        ${made && html`<${ShownOnce} label=${`Key for ${made.name} (${made.role})`} value=${made.key} />`}
      </section>`
    }
    <${ErrorBox} error=${error} />
    ${keys === null && !error && html`<p class="loading">Loading keys…</p>`}
    ${
      keys &&
      html`<div class="table-wrap"><table>
        <caption class="sr-only">Company keys</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Role</th><th scope="col">Created</th>
          <th scope="col">Last used</th><th scope="col">Status</th>${admin && html`<th scope="col"><span class="sr-only">Actions</span></th>`}</tr></thead>
        <tbody>${keys.map(
          (k) => html`<tr key=${k.id}>
            <td>${k.name ?? '—'}</td><td><code>${k.prefix}…</code></td><td>${k.role}</td>
            <td>${when(k.created_at)}</td><td>${when(k.last_used_at)}</td>
            <td>${k.revoked_at ? `revoked ${when(k.revoked_at)}` : 'active'}</td>
            ${
              admin &&
              html`<td>${
                !k.revoked_at &&
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
