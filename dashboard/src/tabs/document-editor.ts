import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Doc } from '../api';

export interface DocumentEdit {
  title: string;
  url: string;
  tags: string;
}

/** What citations show of a document, changed without sending it again. */
export function DocumentEditor({
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
