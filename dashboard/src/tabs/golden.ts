import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Doc, type DocumentPage, type GoldenQuestion, type GoldenRun } from '../api';
import { ErrorBox, isAdmin, uid, type Who, when } from '../ui';

/** How often a run in progress is read again. */
const POLL_MS = 750;

/** A run in progress: how many of its questions have been answered. */
function RunProgress({ run }: { run: GoldenRun }) {
  const answered = run.results.length;
  return html`<div class="run-progress" role="status">
    <progress max=${Math.max(1, run.total)} value=${answered} aria-label="Golden run progress"></progress>
    <span>Running: ${answered} of ${run.total} answered${answered > 0 ? html` (${run.passed} passed, ${run.failed} failed so far)` : ''}. Each answer counts against the project's chat limit, so a large run may wait for the next minute.</span>
  </div>`;
}

/** Pass rate of each finished run, oldest to newest, as an inline SVG line chart. */
export function PassRateChart({ runs }: { runs: GoldenRun[] }) {
  const ordered = runs.filter((r) => r.status === 'done').reverse();
  if (ordered.length === 0) return html`<p class="hint">No runs yet: the pass rate across runs appears here.</p>`;
  const W = 600;
  const H = 160;
  const pad = 30;
  const rate = (r: GoldenRun) => (r.passed + r.failed === 0 ? 0 : r.passed / (r.passed + r.failed));
  const x = (i: number) => (ordered.length === 1 ? W / 2 : pad + (i * (W - 2 * pad)) / (ordered.length - 1));
  const y = (v: number) => H - pad - v * (H - 2 * pad);
  const points = ordered.map((r, i) => `${x(i).toFixed(1)},${y(rate(r)).toFixed(1)}`).join(' ');
  const last = ordered[ordered.length - 1];
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`Pass rate across ${ordered.length} runs; latest ${Math.round(rate(last) * 100)}%`}>
      ${[0, 0.5, 1].map(
        (v) => html`<g key=${v}><line x1=${pad} x2=${W - pad} y1=${y(v)} y2=${y(v)} class="grid" />
          <text x="2" y=${y(v) + 4} class="axis">${v * 100}%</text></g>`,
      )}
      <polyline points=${points} class="line" />
      ${ordered.map(
        (r, i) => html`<circle key=${r.id} cx=${x(i)} cy=${y(rate(r))} r="4" class="dot">
          <title>${when(r.at)}: ${r.passed} passed, ${r.failed} failed</title></circle>`,
      )}
    </svg>
    <figcaption>Pass rate across runs (oldest to newest) — latest: ${last.passed} passed, ${last.failed} failed.</figcaption>
  </figure>`;
}

/** Every ready document of the project, page after page: any of them may be the one to cite. */
async function readyDocuments(projectId: string): Promise<Doc[]> {
  const all: Doc[] = [];
  let cursor: string | null = null;
  do {
    const after = cursor ?? undefined;
    const page: DocumentPage = await api((o) =>
      o.project(projectId).documents.list({ limit: 200, status: 'ready', cursor: after }),
    );
    all.push(...page.documents);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

/** What the question form sends, to create a golden question or to change one. */
interface QuestionBody {
  question: string;
  expected_answer: string | null;
  must_refuse: boolean;
  expected_document_ids: string[];
}
/** A change to a golden question: any of the form's fields, or its approval. */
type QuestionPatch = Partial<QuestionBody> & { approved?: boolean };

function QuestionForm({
  initial,
  docs,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: GoldenQuestion;
  docs: Doc[];
  submitLabel: string;
  onSubmit: (body: QuestionBody) => Promise<void>;
  onCancel?: () => void;
}) {
  const [id] = useState(() => uid('gq'));
  const [question, setQuestion] = useState(initial?.question ?? '');
  const [expected, setExpected] = useState(initial?.expected_answer ?? '');
  const [mustRefuse, setMustRefuse] = useState(initial?.must_refuse ?? false);
  const [docIds, setDocIds] = useState<string[]>(initial?.expected_document_ids ?? []);
  const [find, setFind] = useState('');
  const docName = (d: Doc) => d.title ?? d.filename ?? d.id;
  const needle = find.trim().toLowerCase();
  // the ones found, and the ones chosen (so that a search never hides a choice)
  const shown = docs.filter(
    (d) =>
      docIds.includes(d.id) || !needle || [d.title, d.filename, d.id].some((v) => v?.toLowerCase().includes(needle)),
  );
  const submit = async (e: Event) => {
    e.preventDefault();
    await onSubmit({
      question: question.trim(),
      expected_answer: expected.trim() ? expected.trim() : null,
      must_refuse: mustRefuse,
      expected_document_ids: docIds,
    });
    if (!initial) {
      setQuestion('');
      setExpected('');
      setMustRefuse(false);
      setDocIds([]);
    }
  };
  return html`<form onSubmit=${submit} class="golden-form">
    <div class="field"><label for=${`${id}-q`}>Question</label>
      <input id=${`${id}-q`} required maxLength=${4000} value=${question} onInput=${(e: Event) => setQuestion((e.target as HTMLInputElement).value)} /></div>
    <div class="field"><label for=${`${id}-a`}>Expected answer contains (optional)</label>
      <input id=${`${id}-a`} value=${expected} disabled=${mustRefuse} onInput=${(e: Event) => setExpected((e.target as HTMLInputElement).value)} /></div>
    ${
      docs.length > 0 &&
      html`<div class="field"><label for=${`${id}-d`}>Should cite one of (optional)</label>
        <input id=${`${id}-find`} type="search" aria-label="Find a document to cite" placeholder="Find a document…"
          value=${find} disabled=${mustRefuse} onInput=${(e: Event) => setFind((e.target as HTMLInputElement).value)} />
        <select id=${`${id}-d`} multiple size=${Math.max(2, Math.min(6, shown.length))} disabled=${mustRefuse}
          onChange=${(e: Event) => {
            const visible = new Set(shown.map((d) => d.id));
            const picked = Array.from((e.target as HTMLSelectElement).selectedOptions).map((o) => o.value);
            setDocIds([...docIds.filter((d) => !visible.has(d)), ...picked]);
          }}>
          ${shown.map((d) => html`<option key=${d.id} value=${d.id} selected=${docIds.includes(d.id)}>${docName(d)}</option>`)}
        </select>
        ${needle && shown.length === 0 && html`<p class="hint">No document matches “${find.trim()}”.</p>`}</div>`
    }
    <div class="check"><input type="checkbox" id=${`${id}-r`} checked=${mustRefuse}
      onChange=${(e: Event) => setMustRefuse((e.target as HTMLInputElement).checked)} />
      <label for=${`${id}-r`}>Must refuse (the documents should not answer this)</label></div>
    <div class="row">
      <button type="submit" class="primary">${submitLabel}</button>
      ${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
    </div>
  </form>`;
}

export function GoldenTab({ who, projectId }: { who: Who; projectId: string }) {
  const [questions, setQuestions] = useState<GoldenQuestion[] | null>(null);
  const [runs, setRuns] = useState<GoldenRun[]>([]);
  const [docs, setDocs] = useState<Doc[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const [drafts, setDrafts] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  /** the run in progress, read again every POLL_MS until it ends */
  const [active, setActive] = useState<GoldenRun | null>(null);
  // a company admin, or the customer's review key, works the golden questions; a viewer reads them
  const canWrite = isAdmin(who) || who.kind === 'project';

  const load = async () => {
    try {
      const [q, r] = await Promise.all([
        api((o) => o.project(projectId).golden.list()),
        api((o) => o.project(projectId).golden.runs()),
      ]);
      setQuestions(q.golden_questions);
      setRuns(r.runs);
      const inProgress = r.runs.find((run) => run.status === 'running');
      setActive((current) => current ?? inProgress ?? null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
    readyDocuments(projectId)
      .then(setDocs)
      .catch(() => setDocs([]));
  }, [projectId]);

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const create = (body: QuestionBody) => act(() => api((o) => o.project(projectId).golden.create(body)));
  const update = (q: GoldenQuestion, body: QuestionPatch) =>
    act(async () => {
      await api((o) => o.project(projectId).golden.update(q.id, body));
      setEditing(null);
    });
  const remove = (q: GoldenQuestion) => {
    if (confirm(`Delete the golden question "${q.question}"?`))
      void act(() => api((o) => o.project(projectId).golden.delete(q.id)));
  };
  const runAll = async () => {
    setStarting(true);
    setError(null);
    try {
      const { run } = await api((o) => o.project(projectId).golden.run(drafts ? { include_drafts: true } : {}));
      setActive({ ...run, passed: 0, failed: 0, results: [] });
    } catch (e) {
      setError(e);
    } finally {
      setStarting(false);
    }
  };
  // the run goes on in the background: poll it until it is done (or failed), then reload the list
  useEffect(() => {
    if (active?.status !== 'running') return;
    const timer = setTimeout(async () => {
      try {
        const { run } = await api((o) => o.project(projectId).golden.getRun(active.id));
        if (run.status === 'running') setActive(run);
        else {
          setActive(null);
          if (run.status === 'failed') setError(new Error(`The run stopped: ${run.error ?? 'unknown error'}`));
          await load();
        }
      } catch (e) {
        setActive(null);
        setError(e);
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [active]);
  const running = starting || active !== null;

  const latest = runs.find((r) => r.status === 'done');
  const resultOf = (id: string) => latest?.results.find((r) => r.golden_question_id === id);
  const docName = (id: string) => {
    const d = docs.find((x) => x.id === id);
    return d ? (d.title ?? d.filename ?? id) : id;
  };

  return html`<div class="golden">
    <p class="hint">Golden questions are the questions this project must always answer right (or refuse). Approve them, then run them after every change of documents: a run asks the approved ones, and the drafts too when you include them.</p>
    ${canWrite && html`<div class="card"><h2>Add a golden question</h2><${QuestionForm} docs=${docs} submitLabel="Add question" onSubmit=${create} /></div>`}
    <${ErrorBox} error=${error} />
    <div class="row run-bar">
      <h2>Questions</h2>
      ${
        canWrite &&
        html`<label class="inline"><input type="checkbox" checked=${drafts}
          onChange=${(e: Event) => setDrafts((e.target as HTMLInputElement).checked)} /> Include drafts</label>
        <button type="button" class="primary" onClick=${runAll} disabled=${running || !questions?.length}>
          ${running ? 'Running…' : drafts ? 'Run all' : 'Run approved'}</button>`
      }
    </div>
    ${active && html`<${RunProgress} run=${active} />`}
    ${latest && html`<p class="run-summary" role="status">Latest run ${when(latest.at)}: <strong>${latest.passed} passed</strong>, <strong>${latest.failed} failed</strong>.</p>`}
    ${questions === null && !error && html`<p class="loading">Loading…</p>`}
    ${questions?.length === 0 && html`<p>No golden questions yet.</p>`}
    <ul class="golden-list">${(questions ?? []).map((q) => {
      const result = resultOf(q.id);
      if (editing === q.id)
        return html`<li key=${q.id} class="card"><${QuestionForm} initial=${q} docs=${docs} submitLabel="Save"
          onSubmit=${(body: QuestionBody) => update(q, body)} onCancel=${() => setEditing(null)} /></li>`;
      return html`<li key=${q.id} class="card golden-item" data-golden-id=${q.id}>
        <p class="gq-question">${q.question}</p>
        <p class="sub">
          ${q.approved ? html`<span class="badge badge-ready">approved</span>` : html`<span class="badge badge-queued">draft</span>`}
          ${q.must_refuse ? ' must refuse' : ''}
          ${q.expected_answer ? html` · expects “${q.expected_answer}”` : null}
          ${q.expected_document_ids.length > 0 ? ` · cites ${q.expected_document_ids.map(docName).join(', ')}` : ''}
        </p>
        ${
          result &&
          html`<div class=${`result ${result.passed ? 'pass' : 'fail'}`}>
            <strong>${result.passed ? 'Pass' : 'Fail'}</strong>
            ${result.reasons.length > 0 && html`<ul class="reasons">${result.reasons.map((r) => html`<li>${r}</li>`)}</ul>`}
            <details><summary>Answer</summary><p>${result.answer}</p></details>
          </div>`
        }
        ${
          canWrite &&
          html`<div class="row actions">
            <button type="button" onClick=${() => update(q, { approved: !q.approved })}>${q.approved ? 'Unapprove' : 'Approve'}</button>
            <button type="button" onClick=${() => setEditing(q.id)}>Edit</button>
            <button type="button" class="danger" onClick=${() => remove(q)}>Delete</button>
          </div>`
        }
      </li>`;
    })}</ul>
    <h2>Pass rate</h2>
    <${PassRateChart} runs=${runs} />
  </div>`;
}
