import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Project, type ProjectDeleted } from '../api';
import { ErrorBox, isAdmin, type Who, when } from '../ui';
import { ExportJobs } from './exports';

type Receipt = ProjectDeleted['deleted'];

export function SettingsTab({
  who,
  projectId,
  project,
  onChange,
}: {
  who: Who;
  projectId: string;
  project: Project | null;
  onChange: () => void;
}) {
  const admin = isAdmin(who);
  const [name, setName] = useState(project?.name ?? '');
  const [ref, setRef] = useState(project?.external_ref ?? '');
  const [saved, setSaved] = useState('');
  const [confirmName, setConfirmName] = useState('');
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exporting, setExporting] = useState(false);

  // A project fetched again (after a document changes, say) refreshes the form only while the
  // admin has not typed in it: an edit in progress is never overwritten under them.
  const edited = useRef(false);
  useEffect(() => {
    if (edited.current) return;
    setName(project?.name ?? '');
    setRef(project?.external_ref ?? '');
  }, [project?.id, project?.updated_at]);
  const edit = (set: (v: string) => void) => (e: Event) => {
    edited.current = true;
    set((e.target as HTMLInputElement).value);
  };

  if (receipt) {
    return html`<div class="card receipt" role="status">
      <h2>Project deleted</h2>
      <p>Every trace of <code>${receipt.project_id}</code> was purged:</p>
      <dl class="receipt-list">
        <dt>Documents</dt><dd data-field="documents">${receipt.documents}</dd>
        <dt>Index chunks</dt><dd data-field="chunks">${receipt.chunks}</dd>
        <dt>Keys</dt><dd data-field="keys">${receipt.keys}</dd>
        <dt>Stored files</dt><dd data-field="blobs">${receipt.blobs}</dd>
      </dl>
      <p><a href="#/projects">Back to projects</a></p>
    </div>`;
  }

  const rename = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved('');
    try {
      await api((o) =>
        o.project(projectId).update({ name: name.trim(), external_ref: ref.trim() ? ref.trim() : null }),
      );
      setSaved('Saved.');
      edited.current = false;
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  const download = async () => {
    setError(null);
    setExporting(true);
    try {
      const ndjson = await api((o) => o.project(projectId).export());
      const href = URL.createObjectURL(new Blob([ndjson], { type: 'application/x-ndjson' }));
      const a = document.createElement('a');
      a.href = href;
      a.download = `${projectId}.ndjson`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
    } catch (err) {
      setError(err);
    } finally {
      setExporting(false);
    }
  };
  const remove = async (e: Event) => {
    e.preventDefault();
    if (!project || confirmName !== project.name) return;
    setError(null);
    try {
      const res = await api((o) => o.project(projectId).delete());
      setReceipt(res.deleted);
    } catch (err) {
      setError(err);
    }
  };

  return html`<div class="settings">
    <${ErrorBox} error=${error} />
    ${
      project &&
      html`<dl class="facts">
        <dt>Created</dt><dd>${when(project.created_at)}</dd>
        <dt>Updated</dt><dd>${when(project.updated_at)}</dd>
        <dt>Environment</dt><dd>${project.environment}</dd>
      </dl>`
    }
    ${!admin && html`<p class="hint">Your key is read-only: settings, export and deletion need an admin key.</p>`}
    ${
      admin &&
      project &&
      html`<form class="card" onSubmit=${rename} aria-labelledby="rename-h">
        <h2 id="rename-h">Rename</h2>
        <div class="inline-form">
          <div class="field"><label for="ps-name">Name</label>
            <input id="ps-name" required maxLength=${200} value=${name} onInput=${edit(setName)} /></div>
          <div class="field"><label for="ps-ref">External reference</label>
            <input id="ps-ref" maxLength=${200} value=${ref} onInput=${edit(setRef)} /></div>
          <button type="submit" class="primary">Save</button>
        </div>
        <p role="status" class="sub">${saved}</p>
      </form>`
    }
    ${
      admin &&
      html`<div class="card">
        <h2>Export</h2>
        <p>Everything in this project as NDJSON: the project, each document with its full extracted text, the golden questions, the keys (never their secrets) and the audit log. The direct download serves projects whose export is up to 5 MB.</p>
        <button type="button" onClick=${download} disabled=${exporting}>${exporting ? 'Exporting…' : 'Download export (NDJSON)'}</button>
        <${ExportJobs} projectId=${projectId} />
      </div>`
    }
    ${
      admin &&
      project &&
      html`<form class="card danger-zone" onSubmit=${remove} aria-labelledby="delete-h">
        <h2 id="delete-h">Delete this project</h2>
        <p>This purges every trace — documents, index, stored files, keys — and cannot be undone.</p>
        <label for="ps-confirm">Type the project name, <strong>${project.name}</strong>, to confirm</label>
        <input id="ps-confirm" autocomplete="off" value=${confirmName} onInput=${(e: Event) => setConfirmName((e.target as HTMLInputElement).value)} />
        <button type="submit" class="danger" disabled=${confirmName !== project.name}>Delete project</button>
      </form>`
    }
  </div>`;
}
