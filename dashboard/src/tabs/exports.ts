import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ExportJob } from '../api';
import { ErrorBox, uid, when } from '../ui';

/** How often an export being written is read again. */
const POLL_MS = 750;

/**
 * Export jobs: the project is written to a file in the background, then offered once as a
 * download link (a short-lived link; on the local server it works exactly once).
 */
export function ExportJobs({ projectId }: { projectId: string }) {
  const [id] = useState(() => uid('export'));
  const [originals, setOriginals] = useState(false);
  const [job, setJob] = useState<ExportJob | null>(null);
  const [used, setUsed] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const start = async () => {
    setError(null);
    setUsed(false);
    try {
      const res = await api((o) => o.project(projectId).exports.create({ originals }));
      setJob(res.export);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    if (job?.status !== 'running') return;
    const timer = setTimeout(async () => {
      try {
        const res = await api((o) => o.project(projectId).exports.get(job.id));
        setJob(res.export);
      } catch (e) {
        setError(e);
        setJob(null);
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job]);

  const mb = (bytes?: number) => `${((bytes ?? 0) / 2 ** 20).toFixed(2)} MB`;
  return html`<div class="export-jobs">
    <h3>Export in the background</h3>
    <p class="sub">For projects of any size: the file is written in the background and offered once as a download link.</p>
    <${ErrorBox} error=${error} />
    <div class="row">
      <label class="inline" for=${`${id}-originals`}><input type="checkbox" id=${`${id}-originals`} checked=${originals}
        onChange=${(e: Event) => setOriginals((e.target as HTMLInputElement).checked)} /> Include original files</label>
      <button type="button" onClick=${start} disabled=${job?.status === 'running'}>Start export</button>
    </div>
    ${
      job &&
      html`<p class="export-status" role="status" data-status=${job.status}>
        ${job.status === 'running' && html`Writing the export started ${when(job.created_at)}…`}
        ${job.status === 'failed' && html`The export failed: ${job.error ?? 'unknown error'}.`}
        ${
          job.status === 'ready' &&
          (job.url && !used
            ? html`Ready (${mb(job.bytes)}): <a class="export-link" href=${job.url} download=${`${projectId}.ndjson`}
                onClick=${() => setUsed(true)}>Download export</a> — the link works once.`
            : html`Downloaded. Start a new export to download the project again.`)
        }
      </p>`
    }
  </div>`;
}
