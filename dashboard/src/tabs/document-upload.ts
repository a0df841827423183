import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { type Doc, uploadFile } from '../api';

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

/**
 * The upload card of the documents tab: a title and a link for one file, a drop zone and a file
 * picker, the files of a multi-file drop staged each with its own title and link, and the
 * progress of every file sent. `onSending` is called as files start, `onSent` with each document
 * the server answered with (null when it only queued the file).
 */
export function UploadForm({
  projectId,
  onSending,
  onSent,
}: {
  projectId: string;
  onSending: () => void;
  onSent: (doc: Doc | null) => void;
}) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [url, setUrl] = useState('');
  const [title, setTitle] = useState('');
  const [dragging, setDragging] = useState(false);
  // several files at once: each gets its own title and link (or none) before they are sent
  const [staged, setStaged] = useState<Staged[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);

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
    onSending();
    for (const { file, title, url } of files) {
      const id = ++uploadSeq;
      setUploads((u) => [...u, { id, name: file.name, progress: 0, error: null, done: false }]);
      const fields = { url, title };
      uploadFile(projectId, file, fields, (p) =>
        setUploads((u) => u.map((x) => (x.id === id ? { ...x, progress: p } : x))),
      )
        .then((res) => {
          setUploads((u) => u.map((x) => (x.id === id ? { ...x, done: true, progress: 1 } : x)));
          onSent(res.document);
        })
        .catch((e: Error) => setUploads((u) => u.map((x) => (x.id === id ? { ...x, error: e.message } : x))));
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer?.files.length) pick(e.dataTransfer.files);
  };

  return html`<div class="card">
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
      </div>`;
}
