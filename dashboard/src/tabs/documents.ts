import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Doc } from '../api';
import { bytes, ErrorBox, isAdmin, Status, safeHref, type Who, when } from '../ui';
import { type DocumentEdit, DocumentEditor } from './document-editor';
import { UploadForm } from './document-upload';

const TEXTUAL = /^(text\/|application\/(json|x-ndjson|xml|csv))/i;

export function DocumentsTab({ who, projectId, onChange }: { who: Who; projectId: string; onChange: () => void }) {
  const [docs, setDocs] = useState<Doc[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [viewing, setViewing] = useState<{ doc: Doc; text: string } | null>(null);
  const [editing, setEditing] = useState<Doc | null>(null);
  const canWrite = isAdmin(who);

  const load = async () => {
    try {
      const page = await api((o) => o.project(projectId).documents.list({ limit: 100 }));
      setDocs(page.documents);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await api((o) => o.project(projectId).documents.list({ limit: 100, cursor }));
      setDocs((d) => [...(d ?? []), ...page.documents]);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [projectId]);

  // live status: poll while anything is still queued or processing
  const pending = (docs ?? []).some((d) => d.status === 'queued' || d.status === 'processing');
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(async () => {
      try {
        const page = await api((o) => o.project(projectId).documents.list({ limit: 100 }));
        setDocs((old) => {
          const fresh = new Map(page.documents.map((d) => [d.id, d]));
          const merged = (old ?? []).map((d) => fresh.get(d.id) ?? d);
          const known = new Set(merged.map((d) => d.id));
          return [...page.documents.filter((d) => !known.has(d.id)), ...merged];
        });
        if (!page.documents.some((d) => d.status === 'queued' || d.status === 'processing')) onChange();
      } catch (e) {
        setError(e);
      }
    }, 700);
    return () => clearInterval(timer);
  }, [pending, projectId]);

  const remove = async (d: Doc) => {
    if (!confirm(`Delete "${d.title ?? d.filename ?? d.id}"? It will no longer appear in any answer.`)) return;
    try {
      await api((o) => o.project(projectId).documents.delete(d.id));
      setDocs((list) => (list ?? []).filter((x) => x.id !== d.id));
      onChange();
    } catch (e) {
      setError(e);
    }
  };

  const saveEdit = async (d: Doc, edit: { title: string; url: string; tags: string }) => {
    setError(null);
    try {
      const body = {
        ...(edit.title.trim() ? { title: edit.title.trim() } : {}),
        url: edit.url.trim() || null,
        tags: edit.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      };
      const { document } = await api((o) => o.project(projectId).documents.update(d.id, body));
      setDocs((list) => (list ?? []).map((x) => (x.id === document.id ? document : x)));
      setEditing(null);
    } catch (e) {
      setError(e);
    }
  };

  const view = async (d: Doc) => {
    setError(null);
    try {
      const content = await api((o) => o.project(projectId).documents.content(d.id));
      const type = content.contentType || 'application/octet-stream';
      if (TEXTUAL.test(type)) {
        setViewing({ doc: d, text: new TextDecoder().decode(content.bytes) });
        return;
      }
      // anything else is downloaded, never rendered inside the dashboard's origin
      const href = URL.createObjectURL(new Blob([content.bytes], { type }));
      const a = document.createElement('a');
      a.href = href;
      a.download = content.filename ?? d.filename ?? d.id;
      a.click();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
    } catch (e) {
      setError(e);
    }
  };

  return html`<div>
    ${
      canWrite &&
      html`<${UploadForm} projectId=${projectId} onSending=${() => setError(null)} onSent=${(doc: Doc | null) => {
        if (doc) setDocs((d) => [doc, ...(d ?? []).filter((x) => x.id !== doc.id)]);
        else void load();
        onChange();
      }} />`
    }
    <${ErrorBox} error=${error} />
    ${docs === null && !error && html`<p class="loading">Loading documents…</p>`}
    ${docs?.length === 0 && html`<p>No documents yet.</p>`}
    ${
      docs &&
      docs.length > 0 &&
      html`<div class="table-wrap"><table class="documents">
        <caption class="sr-only">Documents</caption>
        <thead><tr><th scope="col">Document</th><th scope="col">Status</th><th scope="col">Chunks</th><th scope="col">Size</th>
          <th scope="col">Updated</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${docs.map((d) => {
          const href = safeHref(d.url);
          return html`<tr key=${d.id} data-document-id=${d.id}>
            <td><div>${d.title ?? d.filename ?? d.id}</div>
              <div class="sub">${d.filename ?? ''} ${href && html`· <a href=${href} target="_blank" rel="noopener noreferrer">${d.url}</a>`}</div>
              ${d.status === 'failed' && d.error && html`<div class="error reason">${d.error}</div>`}</td>
            <td><${Status} status=${d.status} /></td>
            <td>${d.chunks}</td><td>${bytes(d.bytes)}</td><td>${when(d.updated_at)}</td>
            <td class="actions">
              <button type="button" onClick=${() => view(d)} aria-label=${`View original of ${d.title ?? d.filename ?? d.id}`}>View original</button>
              ${
                canWrite &&
                (d.status === 'ready' || d.status === 'failed') &&
                html`<button type="button" onClick=${() => setEditing(d)} aria-label=${`Edit ${d.title ?? d.filename ?? d.id}`}>Edit</button>`
              }
              ${canWrite && html`<button type="button" class="danger" onClick=${() => remove(d)} aria-label=${`Delete ${d.title ?? d.filename ?? d.id}`}>Delete</button>`}
            </td>
          </tr>`;
        })}</tbody>
      </table></div>`
    }
    ${cursor && html`<button type="button" onClick=${loadMore}>Load more</button>`}
    ${
      editing &&
      html`<${DocumentEditor} key=${editing.id} doc=${editing} onSave=${(edit: DocumentEdit) => saveEdit(editing, edit)}
        onCancel=${() => setEditing(null)} />`
    }
    ${
      viewing &&
      html`<div class="card viewer" role="region" aria-label="Original document">
        <div class="row"><h2>${viewing.doc.title ?? viewing.doc.filename}</h2>
          <button type="button" onClick=${() => setViewing(null)}>Close</button></div>
        <pre class="original">${viewing.text}</pre>
      </div>`
    }
  </div>`;
}
