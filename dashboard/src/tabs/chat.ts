import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, type ChatAnswer } from '../api';
import { ErrorBox, safeHref } from '../ui';

/** The answer text with each [n] turned into a link to its citation below. */
function AnswerText({ answer, turn }: { answer: ChatAnswer; turn: number }) {
  const parts = answer.answer.split(/(\[\d+\])/g);
  return html`<p class="answer-text">${parts.map((part) => {
    const m = /^\[(\d+)\]$/.exec(part);
    if (!m || !answer.citations.some((c) => c.index === Number(m[1]))) return part;
    return html`<a class="cite-ref" href=${`#cite-${turn}-${m[1]}`} onClick=${(e: Event) => {
      e.preventDefault();
      document.getElementById(`cite-${turn}-${m[1]}`)?.focus();
    }}>[${m[1]}]</a>`;
  })}</p>`;
}

export function ChatTab({ projectId }: { projectId: string }) {
  const [question, setQuestion] = useState('');
  const [turns, setTurns] = useState<{ question: string; answer: ChatAnswer }[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const ask = async (e: Event) => {
    e.preventDefault();
    if (!question.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await api((o) => o.project(projectId).chat({ question: question.trim() }));
      setTurns((t) => [...t, { question: question.trim(), answer }]);
      setQuestion('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="chat">
    <p class="hint">Ask what this project's customer would ask. Answers come only from this project's documents, with numbered citations; when the documents don't say, the answer is a refusal.</p>
    <ol class="turns">${turns.map(
      (t, i) => html`<li class="turn" key=${i}>
        <p class="question"><strong>Q:</strong> ${t.question}</p>
        ${
          t.answer.refusal
            ? html`<div class="refusal" role="note"><strong>No answer.</strong> ${t.answer.refusal.message}
                <span class="sub">(${t.answer.refusal.reason})</span></div>`
            : html`<div class="answer">
                <p class="source-label">${t.answer.source_label}</p>
                <${AnswerText} answer=${t.answer} turn=${i} />
                <ol class="citations" aria-label="Citations">${t.answer.citations.map((c) => {
                  const href = safeHref(c.url);
                  const label = c.title ?? c.document_id;
                  return html`<li id=${`cite-${i}-${c.index}`} tabindex="-1" value=${c.index} class="citation">
                    ${href ? html`<a href=${href} target="_blank" rel="noopener noreferrer">${label}</a>` : html`<span>${label}</span>`}
                    ${c.section && html` <span class="sub">§ ${c.section}</span>`}${c.page ? html` <span class="sub">p. ${c.page}</span>` : null}
                    <blockquote>${c.snippet}</blockquote>
                  </li>`;
                })}</ol>
              </div>`
        }
        <p class="sub">${t.answer.latency_ms} ms · ${t.answer.request_id}</p>
      </li>`,
    )}</ol>
    <${ErrorBox} error=${error} />
    <form onSubmit=${ask} class="ask">
      <label for="chat-q">Question</label>
      <textarea id="chat-q" rows="2" maxLength=${4000} value=${question}
        onInput=${(e: Event) => setQuestion((e.target as HTMLTextAreaElement).value)}
        onKeyDown=${(e: KeyboardEvent) => {
          if (e.key === 'Enter' && !e.shiftKey) ask(e);
        }}></textarea>
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Asking…' : 'Ask'}</button>
    </form>
  </div>`;
}
