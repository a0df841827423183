import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Project } from './api';
import { AuditTab } from './tabs/audit';
import { ChatTab } from './tabs/chat';
import { DocumentsTab } from './tabs/documents';
import { GoldenTab } from './tabs/golden';
import { KeysTab } from './tabs/keys';
import { SettingsTab } from './tabs/settings';
import { bytes, ErrorBox, type Who } from './ui';

const COMPANY_TABS = [
  ['documents', 'Documents'],
  ['keys', 'Keys'],
  ['chat', 'Chat'],
  ['golden', 'Golden questions'],
  ['audit', 'Audit log'],
  ['settings', 'Settings'],
] as const;
// a review key: its own project's documents, chat, golden questions and audit, nothing else
const REVIEW_TABS = [
  ['documents', 'Documents'],
  ['chat', 'Chat'],
  ['golden', 'Golden questions'],
  ['audit', 'Audit log'],
] as const;

export function ProjectPage({ who, projectId, tab }: { who: Who; projectId: string; tab?: string }) {
  const [project, setProject] = useState<Project | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  // a review key cannot read the project record; the key's own description names its project
  const [ownName, setOwnName] = useState<string | null>(null);
  const tabs = who.kind === 'company' ? COMPANY_TABS : REVIEW_TABS;
  const current = tabs.find(([t]) => t === tab)?.[0] ?? 'documents';

  useEffect(() => {
    if (who.kind !== 'project') return;
    api((o) => o.me())
      .then((me) => setOwnName(me.project?.id === projectId ? me.project.name : null))
      .catch(setError);
  }, [projectId]);

  useEffect(() => {
    if (who.kind !== 'company') return;
    api((o) => o.project(projectId).get())
      .then((r) => setProject(r.project))
      .catch(setError);
  }, [projectId, version]);

  const refresh = () => setVersion((v) => v + 1);
  const title = project?.name ?? ownName ?? (who.kind === 'project' ? 'Your project' : 'Project');
  let body: unknown = null;
  if (current === 'documents') body = html`<${DocumentsTab} who=${who} projectId=${projectId} onChange=${refresh} />`;
  if (current === 'keys') body = html`<${KeysTab} who=${who} projectId=${projectId} />`;
  if (current === 'chat') body = html`<${ChatTab} projectId=${projectId} />`;
  if (current === 'golden') body = html`<${GoldenTab} who=${who} projectId=${projectId} />`;
  if (current === 'audit') body = html`<${AuditTab} projectId=${projectId} />`;
  if (current === 'settings')
    body = html`<${SettingsTab} who=${who} projectId=${projectId} project=${project} onChange=${refresh} />`;

  return html`<div class="page">
    ${who.kind === 'company' && html`<p class="crumbs"><a href="#/projects">Projects</a> /</p>`}
    <h1>${title}</h1>
    <p class="meta"><code>${projectId}</code>
      ${project && html` · ${project.environment}${project.external_ref ? ` · ${project.external_ref}` : ''}`}
      ${project?.stats && html` · ${project.stats.documents} documents · ${project.stats.chunks} chunks · ${bytes(project.stats.bytes)}`}
    </p>
    <${ErrorBox} error=${error} />
    <nav class="tabs" aria-label="Project sections">
      ${tabs.map(
        ([t, label]) =>
          html`<a href=${`#/projects/${projectId}/${t}`} aria-current=${t === current ? 'page' : undefined}>${label}</a>`,
      )}
    </nav>
    <section class="tab-body" aria-label=${tabs.find(([t]) => t === current)?.[1]}>${body}</section>
  </div>`;
}
