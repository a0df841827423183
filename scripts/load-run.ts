/**
 * The measured part of the chat load run (load-chat.ts): chat on project A from autocannon
 * connections, ramped up until each has had an answer, then a window of `duration` seconds, while
 * a loop in this process ingests documents into project B at a bounded rate. Returns what was
 * seen — every chat answer and error, every ingestion post, the window, the grounded and refused
 * answers, the server's CPU over the window — for load-report.ts to turn into figures.
 */
import { autocannon, measuredWindow } from './autocannon';
import type { Api } from './load-api';
import type { Doc } from './load-questions';
import { cpuSecondsOf, memoryOf } from './process-probes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface IngestPost {
  /** when the answer came, ms since the epoch */
  at: number;
  ms: number;
  status: number | 'error';
}

/** Ingests documents at `rate` a second, at most `inFlight` at once, until `until.at` (epoch ms). */
async function ingestStream(
  api: Api,
  docs: Doc[],
  rate: number,
  inFlight: number,
  until: { at: number },
  log: (line: string) => void,
) {
  const posts: IngestPost[] = [];
  const running = new Set<Promise<void>>();
  let due = Date.now();
  let logged = 0;
  for (let i = 0; Date.now() < until.at; i++) {
    const wait = due - Date.now();
    if (wait > 0) await sleep(Math.min(wait, Math.max(0, until.at - Date.now())));
    if (Date.now() >= until.at) break;
    while (running.size >= inFlight) await Promise.race(running);
    // a slot missed while the server was slow is skipped, not made up with a burst
    due = Math.max(due + 1000 / rate, Date.now());
    const d = docs[i % docs.length];
    const round = Math.floor(i / docs.length);
    const t = performance.now();
    const p = api
      .call('POST', '/v1/documents', {
        title: d.title,
        text: d.text,
        external_id: round === 0 ? d._id : `${d._id}#${round}`,
      })
      .then(
        (res) => {
          posts.push({ at: Date.now(), ms: performance.now() - t, status: res.status });
          if ((res.status < 200 || res.status > 299) && logged++ < 5)
            log(`ingest into B: ${res.status} ${JSON.stringify(res.body)}`);
        },
        (e: Error) => {
          posts.push({ at: Date.now(), ms: performance.now() - t, status: 'error' });
          if (logged++ < 5) log(`ingest into B failed: ${e.message}`);
        },
      )
      .finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  return posts;
}

export interface ChatResponse {
  /** when the answer came, ms since the epoch */
  at: number;
  ms: number;
  status: number;
}

export interface LoadRun {
  server: { url: string; pid: number };
  /** project A's key: every chat */
  chatKey: string;
  /** project B's client: the concurrent ingestion */
  ingest: Api;
  questions: { text: string; offTopic: boolean }[];
  ingestDocs: Doc[];
  connections: number;
  duration: number;
  rampLimitSeconds: number;
  timeoutSeconds: number;
  ingestRate: number;
  ingestInFlight: number;
  log: (line: string) => void;
}

/** The run: chat on A from autocannon, ingestion into B from a loop in this process. */
export async function runLoad(run: LoadRun) {
  const { server, connections, duration, rampLimitSeconds, ingestRate, log } = run;
  const { questions } = run;
  const pid = server.pid;
  let next = 0;
  let measuring = false;
  const outcome = { claim: { answered: 0, refused: 0 }, offTopic: { answered: 0, refused: 0 }, unparsed: 0 };
  const offTopicAnswered = new Set<string>();
  const chat: ChatResponse[] = [];
  const chatErrors: { at: number; message: string }[] = [];
  const hwmBefore = memoryOf(pid)?.hwm ?? 0;
  const selfBefore = process.cpuUsage();

  log(`ramp-up: opening ${connections} chat connections at once; ingestion into B at ${ingestRate} docs/s`);
  const rampStart = Date.now();
  const instance = autocannon({
    url: server.url,
    connections,
    duration: rampLimitSeconds + duration + 10,
    timeout: run.timeoutSeconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/chat',
        headers: { authorization: `Bearer ${run.chatKey}`, 'content-type': 'application/json' },
        setupRequest: (req, context) => {
          const q = questions[next++ % questions.length];
          context.offTopic = q.offTopic;
          context.question = q.text;
          return { ...req, body: JSON.stringify({ question: q.text }) };
        },
        onResponse: (status, body, context) => {
          if (status !== 200 || !measuring) return;
          const group = context.offTopic ? outcome.offTopic : outcome.claim;
          try {
            if ((JSON.parse(body) as { grounded: boolean }).grounded) {
              group.answered++;
              if (context.offTopic) offTopicAnswered.add(context.question as string);
            } else group.refused++;
          } catch {
            outcome.unparsed++;
          }
        },
      },
    ],
  });
  const window = { start: 0, end: Number.POSITIVE_INFINITY };
  const ingestUntil = { at: Number.POSITIVE_INFINITY };
  let cpuBefore: number | null = null;
  let cpuAfter: number | null = null;
  const windowDone = measuredWindow(instance, {
    connections,
    durationS: duration,
    rampLimitS: rampLimitSeconds,
    open: (answered) => {
      window.start = Date.now();
      window.end = window.start + duration * 1000;
      ingestUntil.at = window.end;
      measuring = true;
      cpuBefore = cpuSecondsOf(pid);
      log(
        `ramp-up done in ${((window.start - rampStart) / 1000).toFixed(1)} s (${answered} of ${connections} connections answered); measuring for ${duration} s`,
      );
    },
    close: () => {
      measuring = false;
      cpuAfter = cpuSecondsOf(pid);
    },
    answer: (status, ms) => chat.push({ at: Date.now(), ms, status }),
  });
  instance.on('reqError', (e) => chatErrors.push({ at: Date.now(), message: e.message || String(e) }));
  const ingest = ingestStream(run.ingest, run.ingestDocs, ingestRate, run.ingestInFlight, ingestUntil, log);
  const [answeredClients, , posts] = await Promise.all([windowDone, instance, ingest]);
  const self = process.cpuUsage(selfBefore);
  const runSeconds = (Date.now() - rampStart) / 1000;
  const windowSeconds = (window.end - window.start) / 1000;
  if (offTopicAnswered.size > 0) {
    log(`off-topic questions answered instead of refused:\n  ${[...offTopicAnswered].join('\n  ')}`);
  }
  return {
    chat,
    chatErrors,
    posts,
    outcome,
    answeredClients,
    rampStart,
    window,
    windowSeconds,
    runSeconds,
    self,
    hwmBefore,
    cpuBefore: cpuBefore as number | null,
    cpuAfter: cpuAfter as number | null,
  };
}
