import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Project, type ProjectCreated } from './api';
import { bytes, ErrorBox, isAdmin, ShownOnce, type Who, when } from './ui';

function CreateProject({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [ref, setRef] = useState('');
  const [env, setEnv] = useState('production');
  const [error, setError] = useState<unknown>(null);
  const [made, setMade] = useState<ProjectCreated | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const body = {
        name,
        environment: env as Project['environment'],
        ...(ref.trim() ? { external_ref: ref.trim() } : {}),
      };
      setMade(await api((o) => o.projects.create(body)));
      setName('');
      setRef('');
      onCreated();
    } catch (err) {
      setError(err);
    }
  };
  return html`<section class="card" aria-labelledby="create-project-h">
    <h2 id="create-project-h">New project</h2>
    <form onSubmit=${submit} class="inline-form">
      <div class="field"><label for="np-name">Name</label>
        <input id="np-name" required maxLength=${200} value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></div>
      <div class="field"><label for="np-ref">External reference (optional)</label>
        <input id="np-ref" maxLength=${200} value=${ref} onInput=${(e: Event) => setRef((e.target as HTMLInputElement).value)} /></div>
      <div class="field"><label for="np-env">Environment</label>
        <select id="np-env" value=${env} onChange=${(e: Event) => setEnv((e.target as HTMLSelectElement).value)}>
          <option value="production">production</option><option value="staging">staging</option>
        </select></div>
      <button type="submit" class="primary">Create project</button>
    </form>
    <${ErrorBox} error=${error} />
    ${
      made &&
      html`<div>
        <p>Created <a href=${`#/projects/${made.project.id}`}>${made.project.name}</a>. Its first key (scopes ${made.api_key.scopes.join(', ')}):</p>
        <${ShownOnce} label="First project key" value=${made.api_key.key} />
      </div>`
    }
  </section>`;
}

export function ProjectsPage({ who }: { who: Who }) {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);

  const load = async (after: string | null) => {
    try {
      const page = await api((o) => o.projects.list({ limit: 50, cursor: after ?? undefined }));
      // the list has no stats; each project's own record does
      const withStats = await Promise.all(
        page.projects.map((p) =>
          api((o) => o.project(p.id).get())
            .then((r) => r.project)
            .catch(() => p),
        ),
      );
      setProjects((prev) => (after && prev ? [...prev, ...withStats] : withStats));
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load(null);
  }, [version]);

  return html`<div class="page">
    <h1>Projects</h1>
    ${isAdmin(who) && html`<${CreateProject} onCreated=${() => setVersion((v) => v + 1)} />`}
    <${ErrorBox} error=${error} />
    ${projects === null && !error && html`<p class="loading">Loading projects…</p>`}
    ${projects?.length === 0 && html`<p>No projects yet.</p>`}
    ${
      projects &&
      projects.length > 0 &&
      html`<div class="table-wrap"><table class="projects">
        <caption class="sr-only">Projects</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">External ref</th><th scope="col">Environment</th>
          <th scope="col">Documents</th><th scope="col">Chunks</th><th scope="col">Size</th><th scope="col">Created</th></tr></thead>
        <tbody>${projects.map(
          (p) => html`<tr key=${p.id}>
            <td><a href=${`#/projects/${p.id}`}>${p.name}</a></td>
            <td>${p.external_ref ?? '—'}</td>
            <td>${p.environment}</td>
            <td>${p.stats?.documents ?? '—'}</td>
            <td>${p.stats?.chunks ?? '—'}</td>
            <td>${bytes(p.stats?.bytes)}</td>
            <td>${when(p.created_at)}</td>
          </tr>`,
        )}</tbody>
      </table></div>`
    }
    ${cursor && html`<button type="button" onClick=${() => load(cursor)}>Load more</button>`}
  </div>`;
}
