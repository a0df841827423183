import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, apiBlob, type Doc, type DocumentPage, pid, uploadFile } from '../api';
import { bytes, ErrorBox, isAdmin, Status, safeHref, type Who, when } from '../ui';

/** A file of a multi-file drop, waiting for its own title and link. */
interface Staged {
  id: number;
  file: File;
  title: string;
  url: string;
}

interface Upload {
  id: number;
  name: string;
  progress: number;
  error: string | null;
  done: boolean;
}

let uploadSeq = 0;
const TEXTUAL = /^(text\/|application\/(json|x-ndjson|xml|csv))/i;

export function DocumentsTab({ who, projectId, onChange }: { who: Who; projectId: string; onChange: () => void }) {
  const [docs, setDocs] = useState<Doc[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [url, setUrl] = useState('');
  const [title, setTitle] = useState('');
  const [dragging, setDragging] = useState(false);
  const [viewing, setViewing] = useState<{ doc: Doc; text: string } | null>(null);
  // several files at once: each gets its own title and link (or none) before they are sent
  const [staged, setStaged] = useState<Staged[]>([]);
  const [editing, setEditing] = useState<Doc | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const canWrite = isAdmin(who);
  const base = pid(projectId);

  const load = async () => {
    try {
      const page = await api<DocumentPage>('GET', `${base}/documents?limit=100`);
      setDocs(page.documents);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await api<DocumentPage>('GET', `${base}/documents?limit=100&cursor=${encodeURIComponent(cursor)}`);
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
        const page = await api<{ documents: Doc[] }>('GET', `${base}/documents?limit=100`);
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

  /**
   * One file takes the title and link typed above; several are staged, each with its own (the
   * fields above would give every one the same title). The fields are cleared once sent, so the
   * next file does not inherit them.
   */
  const pick = (files: FileList | File[]) => {
    const list = Array.from(files);
    if (list.length === 1 && staged.length === 0) {
      send([{ file: list[0], title: title.trim(), url: url.trim() }]);
      setTitle('');
      setUrl('');
      return;
    }
    setStaged((old) => [...old, ...list.map((file) => ({ id: ++uploadSeq, file, title: '', url: '' }))]);
  };
  const sendStaged = () => {
    send(staged.map((f) => ({ file: f.file, title: f.title.trim(), url: f.url.trim() })));
    setStaged([]);
  };
  const restage = (id: number, field: 'title' | 'url', value: string) =>
    setStaged((old) => old.map((f) => (f.id === id ? { ...f, [field]: value } : f)));

  const send = (files: { file: File; title: string; url: string }[]) => {
    setError(null);
    for (const { file, title, url } of files) {
      const id = ++uploadSeq;
      setUploads((u) => [...u, { id, name: file.name, progress: 0, error: null, done: false }]);
      const fields: Record<string, string> = { url, title };
      uploadFile(projectId, file, fields, (p) =>
        setUploads((u) => u.map((x) => (x.id === id ? { ...x, progress: p } : x))),
      )
        .then((res) => {
          setUploads((u) => u.map((x) => (x.id === id ? { ...x, done: true, progress: 1 } : x)));
          const doc = res.document;
          if (doc) setDocs((d) => [doc, ...(d ?? []).filter((x) => x.id !== doc.id)]);
          else void load();
          onChange();
        })
        .catch((e: Error) => setUploads((u) => u.map((x) => (x.id === id ? { ...x, error: e.message } : x))));
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer?.files.length) pick(e.dataTransfer.files);
  };

  const remove = async (d: Doc) => {
    if (!confirm(`Delete "${d.title ?? d.filename ?? d.id}"? It will no longer appear in any answer.`)) return;
    try {
      await api('DELETE', `${base}/documents/${encodeURIComponent(d.id)}`);
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
      const { document } = await api<{ document: Doc }>('PATCH', `${base}/documents/${encodeURIComponent(d.id)}`, body);
      setDocs((list) => (list ?? []).map((x) => (x.id === document.id ? document : x)));
      setEditing(null);
    } catch (e) {
      setError(e);
    }
  };

  const view = async (d: Doc) => {
    setError(null);
    try {
      const { blob, type, filename } = await apiBlob(`${base}/documents/${encodeURIComponent(d.id)}/content`);
      if (TEXTUAL.test(type)) {
        setViewing({ doc: d, text: await blob.text() });
        return;
      }
      // anything else is downloaded, never rendered inside the dashboard's origin
      const href = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = href;
      a.download = filename ?? d.filename ?? d.id;
      a.click();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
    } catch (e) {
      setError(e);
    }
  };

  return html`<div>
    ${
      canWrite &&
      html`<div class="card">
        <h2>Upload documents</h2>
        <div class="inline-form">
          <div class="field"><label for="up-title">Title (optional)</label>
            <input id="up-title" value=${title} onInput=${(e: Event) => setTitle((e.target as HTMLInputElement).value)} /></div>
          <div class="field"><label for="up-url">Link for citations (optional, e.g. /help/refunds)</label>
            <input id="up-url" value=${url} onInput=${(e: Event) => setUrl((e.target as HTMLInputElement).value)} /></div>
        </div>
        <div class=${`dropzone${dragging ? ' dragging' : ''}`} data-testid="dropzone"
          onDragOver=${(e: DragEvent) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave=${() => setDragging(false)} onDrop=${onDrop}>
          <p>Drop files here (text, Markdown, HTML, PDF, DOCX, CSV, JSON; up to 100 MB each), or</p>
          <input id="up-file" ref=${fileInput} type="file" multiple class="visually-hidden-file"
            onChange=${(e: Event) => {
              const input = e.target as HTMLInputElement;
              if (input.files?.length) pick(input.files);
              input.value = '';
            }} />
          <label for="up-file" class="button">Choose files</label>
        </div>
        ${
          staged.length > 0 &&
          html`<div class="staged" role="group" aria-label="Files to send">
            <p class="hint">Give each file its own title and link, or leave them empty (the title then comes from the file).</p>
            ${staged.map(
              (f) => html`<div class="inline-form" key=${f.id} data-staged=${f.file.name}>
                <div class="field"><label for=${`st-title-${f.id}`}>Title of ${f.file.name} (optional)</label>
                  <input id=${`st-title-${f.id}`} value=${f.title}
                    onInput=${(e: Event) => restage(f.id, 'title', (e.target as HTMLInputElement).value)} /></div>
                <div class="field"><label for=${`st-url-${f.id}`}>Link of ${f.file.name} (optional)</label>
                  <input id=${`st-url-${f.id}`} value=${f.url}
                    onInput=${(e: Event) => restage(f.id, 'url', (e.target as HTMLInputElement).value)} /></div>
              </div>`,
            )}
            <div class="row">
              <button type="button" class="primary" onClick=${sendStaged}>Upload ${staged.length} files</button>
              <button type="button" onClick=${() => setStaged([])}>Cancel</button>
            </div>
          </div>`
        }
        ${
          uploads.length > 0 &&
          html`<ul class="uploads">${uploads.map(
            (u) => html`<li key=${u.id}>
              <span>${u.name}</span>
              <progress max="100" value=${Math.round(u.progress * 100)} aria-label=${`Uploading ${u.name}`}></progress>
              <span>${u.error ? html`<span class="error">${u.error}</span>` : u.done ? 'sent' : `${Math.round(u.progress * 100)}%`}</span>
            </li>`,
          )}</ul>`
        }
      </div>`
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

interface DocumentEdit {
  title: string;
  url: string;
  tags: string;
}

/** What citations show of a document, changed without sending it again. */
function DocumentEditor({
  doc,
  onSave,
  onCancel,
}: {
  doc: Doc;
  onSave: (edit: DocumentEdit) => Promise<void>;
  onCancel: () => void;
}) {
  const [edit, setEdit] = useState<DocumentEdit>({
    title: doc.title ?? '',
    url: doc.url ?? '',
    tags: doc.tags.join(', '),
  });
  const [busy, setBusy] = useState(false);
  const field = (name: keyof DocumentEdit) => (e: Event) =>
    setEdit((old) => ({ ...old, [name]: (e.target as HTMLInputElement).value }));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await onSave(edit);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="card" onSubmit=${submit} aria-labelledby="doc-edit-h">
    <h2 id="doc-edit-h">Edit ${doc.title ?? doc.filename ?? doc.id}</h2>
    <p class="hint">Answers cite the new title and link at once; nothing is sent again.</p>
    <div class="inline-form">
      <div class="field"><label for="doc-edit-title">Document title</label>
        <input id="doc-edit-title" maxLength=${500} value=${edit.title} onInput=${field('title')} /></div>
      <div class="field"><label for="doc-edit-url">Document link (empty for none)</label>
        <input id="doc-edit-url" maxLength=${2048} value=${edit.url} onInput=${field('url')} /></div>
      <div class="field"><label for="doc-edit-tags">Tags (comma-separated)</label>
        <input id="doc-edit-tags" value=${edit.tags} onInput=${field('tags')} /></div>
    </div>
    <div class="row">
      <button type="submit" class="primary" disabled=${busy}>Save document</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}
