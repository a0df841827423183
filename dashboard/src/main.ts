import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, loadConfig } from './api';
import { ProjectPage } from './project';
import { ProjectsPage } from './projects';
import { SecurityPage } from './security';
import { kindOf, session } from './session';
import { TeamPage } from './team';
import { ErrorBox, message, type Who } from './ui';

function currentRoute(): string[] {
  if (location.pathname.replace(/\/+$/, '') === '/security' && !location.hash) return ['security'];
  const hash = location.hash.replace(/^#\/?/, '').split('?')[0];
  return hash ? hash.split('/').map(decodeURIComponent) : [];
}

function hashParam(name: string): string | null {
  const q = location.hash.split('?')[1];
  return q ? new URLSearchParams(q).get(name) : null;
}

/**
 * Works out who a key is. A company key reads its company; its role is the one the team list
 * gives the key with its display prefix (a prefix shared by an admin and a viewer key counts as
 * viewer, the safe reading). A project key names its project; the review scope is what opens the
 * project's golden questions.
 */
export async function identify(key: string, projectId: string | null): Promise<Who> {
  const kind = kindOf(key);
  if (kind === 'company') {
    const { company } = await api((o) => o.company.get(), key);
    const { keys } = await api((o) => o.company.listKeys(), key);
    const mine = keys.filter((k) => k.prefix === key.slice(0, 12) && !k.revoked_at);
    const role = mine.length > 0 && mine.every((k) => k.role === 'admin') ? 'admin' : 'viewer';
    return { kind: 'company', role, company };
  }
  if (kind === 'project') {
    if (!projectId || !/^prj_[0-9a-z]+$/.test(projectId.trim())) {
      throw new Error('A project key needs its project id (prj_…), as given with the key.');
    }
    const id = projectId.trim();
    try {
      await api((o) => o.project(id).golden.list(), key);
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 403) throw new Error('This project key has no review scope, so it cannot open the dashboard.');
      if (status === 404) throw new Error('This key does not belong to that project.');
      throw e;
    }
    return { kind: 'project', projectId: id, scopes: ['review'] };
  }
  throw new Error('That is not an Oprag key: company keys start with oprag_ak_, project keys with oprag_pk_.');
}

function SignIn({ onSignedIn }: { onSignedIn: (who: Who) => void }) {
  const [key, setKey] = useState('');
  const [project, setProject] = useState(hashParam('project') ?? '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const isProjectKey = key.trim().startsWith('oprag_pk_');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const trimmed = key.trim();
      const who = await identify(trimmed, isProjectKey ? project : null);
      session.save(trimmed, who.kind === 'project' ? who.projectId : null);
      onSignedIn(who);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <h1>Oprag dashboard</h1>
    <form onSubmit=${submit} class="card">
      <h2>Sign in with a key</h2>
      <label for="signin-key">API key</label>
      <input id="signin-key" type="password" autocomplete="off" spellcheck=${false} required value=${key}
        onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} placeholder="oprag_ak_… or oprag_pk_…" />
      ${
        isProjectKey &&
        html`<label for="signin-project">Project id</label>
          <input id="signin-project" required value=${project} placeholder="prj_…"
            onInput=${(e: Event) => setProject((e.target as HTMLInputElement).value)} />`
      }
      <p class="hint">The key stays in this browser tab only (session storage) and is cleared when you sign out.</p>
      <${ErrorBox} error=${error} />
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
    <p><a href="#/security">Security</a></p>
  </main>`;
}

function App() {
  const [route, setRoute] = useState(currentRoute());
  const [who, setWho] = useState<Who | null>(null);
  const [restoring, setRestoring] = useState(Boolean(session.key()));
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    const onUnauthorized = () => {
      session.clear();
      setWho(null);
      setError('Your key stopped working (revoked or expired), so you were signed out.');
    };
    window.addEventListener('oprag:unauthorized', onUnauthorized);
    const key = session.key();
    if (key) {
      identify(key, session.project())
        .then(setWho)
        .catch((e) => {
          session.clear();
          setError(message(e));
        })
        .finally(() => setRestoring(false));
    }
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('oprag:unauthorized', onUnauthorized);
    };
  }, []);

  const signOut = () => {
    session.clear();
    setWho(null);
    location.hash = '#/';
  };

  if (route[0] === 'security') {
    return html`<${Shell} who=${who} signOut=${signOut}><${SecurityPage} /></${Shell}>`;
  }
  if (restoring) return html`<p class="loading">Loading…</p>`;
  if (!who) {
    return html`<div><${ErrorBox} error=${error} /><${SignIn} onSignedIn=${(w: Who) => {
      setError(null);
      setWho(w);
      location.hash = w.kind === 'project' ? `#/projects/${w.projectId}` : '#/projects';
    }} /></div>`;
  }

  let page: unknown;
  if (who.kind === 'project') {
    page = html`<${ProjectPage} who=${who} projectId=${who.projectId} tab=${route[0] === 'projects' ? route[2] : undefined} />`;
  } else if (route[0] === 'team') {
    page = html`<${TeamPage} who=${who} />`;
  } else if (route[0] === 'projects' && route[1]) {
    page = html`<${ProjectPage} who=${who} projectId=${route[1]} tab=${route[2]} />`;
  } else {
    page = html`<${ProjectsPage} who=${who} />`;
  }
  return html`<${Shell} who=${who} signOut=${signOut}>${page}</${Shell}>`;
}

function Shell({ who, signOut, children }: { who: Who | null; signOut: () => void; children: unknown }) {
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href="#/">Oprag</a>
      <nav aria-label="Main">
        ${who?.kind === 'company' && html`<a href="#/projects">Projects</a><a href="#/team">Team</a>`}
        ${who?.kind === 'project' && html`<a href=${`#/projects/${who.projectId}`}>Project</a>`}
        <a href="#/security">Security</a>
      </nav>
      ${
        who &&
        html`<div class="who">
          <span class="who-label">${who.kind === 'company' ? `${who.company.name} · ${who.role}` : `project key · review`}</span>
          <button type="button" onClick=${signOut}>Sign out</button>
        </div>`
      }
      ${!who && html`<div class="who"><a href="#/">Sign in</a></div>`}
    </header>
    <main id="main">${children}</main>
  </div>`;
}

void loadConfig().then(() => {
  const root = document.getElementById('app') as HTMLElement;
  root.textContent = ''; // the static "Loading…" placeholder
  render(html`<${App} />`, root);
});
