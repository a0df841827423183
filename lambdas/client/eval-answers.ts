/**
 * Measures answers and refusals through the HTTP API, on claim sets with known relevant
 * documents (SciFact, Climate-FEVER in the BEIR layout):
 * - answerable: each claim of the split asked of a project holding the whole SciFact corpus,
 *   which should answer it citing a relevant abstract;
 * - removed: the same claims asked of a project holding the corpus minus the split's relevant
 *   abstracts, which should refuse;
 * - off-topic: the split's Climate-FEVER claims asked of the SciFact project, which should refuse.
 * With SciFact's evidence sentences it also measures whether the quoted sentences are the ones
 * that carry the evidence. Without `baseUrl`, it runs on a throwaway local server and data
 * directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GateOptions } from '../core/gate';
import { percentile } from '../core/ir-metrics';
import { startServer } from '../local/server';
import { ApiClient, expectStatus } from './api-client';
import { citedSentences, evidenceOf, quotedSentences } from './eval-answers-score';
import {
  type AnswerEvalOptions,
  createProjects,
  type Prepared,
  type ProjectRef,
  type Projects,
  prepare,
} from './eval-answers-setup';

export { citedSentences, quotedSentences } from './eval-answers-score';
export { type AnswerEvalOptions, readQrels } from './eval-answers-setup';
export { percentile };

export interface AnswerEvalReport {
  split: string;
  gate: Partial<GateOptions> | null;
  corpus: { documents: number; removed_for_unanswerable: number };
  answerable: {
    claims: number;
    answered: number;
    answered_with_relevant_citation: number;
    /** answered_with_relevant_citation / claims */
    rate: number;
  };
  unanswerable: {
    removed: { claims: number; refused: number; rate: number };
    off_topic: { claims: number; refused: number; rate: number };
    /** both kinds together */
    rate: number;
  };
  citation_sentences: {
    /** answer sentences that cite an abstract holding gold evidence for the claim */
    cited_from_evidence_documents: number;
    /** of those, the sentences that quote a gold evidence sentence */
    gold: number;
    /** gold / cited_from_evidence_documents */
    precision: number;
    /** answers citing an evidence abstract, and of them the ones quoting at least one gold sentence */
    answers_citing_evidence: number;
    answers_quoting_gold: number;
  };
  chat_ms: { p50: number; p99: number; requests: number };
}

interface ChatBody {
  answer: string;
  grounded: boolean;
  citations: { index: number; document_id: string }[];
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);

async function askAll(
  baseUrl: string,
  p: Prepared,
  projects: Projects,
  o: AnswerEvalOptions,
): Promise<AnswerEvalReport> {
  const latencies: number[] = [];
  const chat = async (project: ProjectRef, question: string): Promise<ChatBody> => {
    const t = performance.now();
    const res = await new ApiClient(baseUrl, project.key).post<ChatBody>(`/v1/projects/${project.id}/chat`, {
      question,
    });
    latencies.push(performance.now() - t);
    return expectStatus(res, 200, 'chat');
  };
  const ans = { answered: 0, relevant: 0 };
  const cite = { fromEvidence: 0, gold: 0, answersCiting: 0, answersGold: 0 };
  o.log?.(`asking ${p.claims.length} claims of each SciFact project, ${p.offTopic.length} off-topic claims`);
  for (const claim of p.claims) {
    const relevant = p.qrels.get(claim._id) ?? new Set();
    const body = await chat(projects.full, claim.text);
    if (!body.grounded) continue;
    ans.answered++;
    const corpusIdOfCitation = new Map(
      body.citations.map((c) => [c.index, projects.corpusIdOf.get(c.document_id) ?? '']),
    );
    if ([...corpusIdOfCitation.values()].some((id) => relevant.has(id))) ans.relevant++;
    const evidence = evidenceOf(claim);
    let citing = false;
    let quotingGold = false;
    for (const s of citedSentences(body.answer)) {
      const docs = s.cites.map((n) => corpusIdOfCitation.get(n) ?? '').filter((id) => evidence.has(id));
      if (docs.length === 0) continue;
      citing = true;
      cite.fromEvidence++;
      const gold = docs.some((id) =>
        quotedSentences(s.text, p.sentences.get(id) ?? []).some((i) => evidence.get(id)?.has(i)),
      );
      if (gold) {
        cite.gold++;
        quotingGold = true;
      }
    }
    if (citing) cite.answersCiting++;
    if (quotingGold) cite.answersGold++;
  }
  let removedRefused = 0;
  for (const claim of p.claims) if (!(await chat(projects.minus, claim.text)).grounded) removedRefused++;
  let offTopicRefused = 0;
  for (const claim of p.offTopic) if (!(await chat(projects.full, claim.text)).grounded) offTopicRefused++;
  const n = p.claims.length;
  return {
    split: o.split,
    gate: o.gate ?? null,
    corpus: { documents: p.corpus.length, removed_for_unanswerable: p.removed.size },
    answerable: {
      claims: n,
      answered: ans.answered,
      answered_with_relevant_citation: ans.relevant,
      rate: ratio(ans.relevant, n),
    },
    unanswerable: {
      removed: { claims: n, refused: removedRefused, rate: ratio(removedRefused, n) },
      off_topic: {
        claims: p.offTopic.length,
        refused: offTopicRefused,
        rate: ratio(offTopicRefused, p.offTopic.length),
      },
      rate: ratio(removedRefused + offTopicRefused, n + p.offTopic.length),
    },
    citation_sentences: {
      cited_from_evidence_documents: cite.fromEvidence,
      gold: cite.gold,
      precision: ratio(cite.gold, cite.fromEvidence),
      answers_citing_evidence: cite.answersCiting,
      answers_quoting_gold: cite.answersGold,
    },
    chat_ms: {
      p50: Math.round(percentile(latencies, 50) * 10) / 10,
      p99: Math.round(percentile(latencies, 99) * 10) / 10,
      requests: latencies.length,
    },
  };
}

/**
 * One evaluation: ingests the two projects, asks every claim, reports the figures. On a
 * throwaway server the data directory is removed afterwards; on `baseUrl` the two projects are.
 */
export async function runAnswerEval(o: AnswerEvalOptions): Promise<AnswerEvalReport> {
  const [report] = await runAnswerEvalCurve(o, [o.gate ?? {}]);
  return report;
}

/**
 * The same evaluation for several gate settings of a throwaway server: the projects are ingested
 * once, then the server is restarted on the same data directory with each setting in turn.
 */
export async function runAnswerEvalCurve(
  o: Omit<AnswerEvalOptions, 'gate'>,
  gates: Partial<GateOptions>[],
): Promise<AnswerEvalReport[]> {
  const p = prepare(o);
  if (o.baseUrl) {
    if (!o.adminKey) throw new Error('an admin key is needed with baseUrl');
    if (gates.length > 1 || Object.keys(gates[0] ?? {}).length > 0)
      throw new Error('gate settings apply to a throwaway server only');
    const projects = await createProjects(new ApiClient(o.baseUrl, o.adminKey), p, o);
    try {
      return [await askAll(o.baseUrl, p, projects, o)];
    } finally {
      await projects.cleanup();
    }
  }
  const dataDir = mkdtempSync(join(o.tmpDir ?? tmpdir(), 'oprag-answers-'));
  let adminKey = '';
  const start = (gate: Partial<GateOptions>) =>
    startServer({
      dataDir,
      port: 0,
      dropIntervalSeconds: 0,
      quietLogLevel: 'warn',
      settings: { gate },
      print: (line) => {
        adminKey = line.match(/oprag_ak_\w+/)?.[0] ?? adminKey;
      },
    });
  try {
    let server = await start(gates[0] ?? {});
    let projects: Projects;
    try {
      projects = await createProjects(new ApiClient(server.url, adminKey), p, o);
    } catch (e) {
      await server.close();
      throw e;
    }
    const reports: AnswerEvalReport[] = [];
    for (let i = 0; i < gates.length; i++) {
      if (i > 0) server = await start(gates[i]);
      try {
        reports.push(await askAll(server.url, p, projects, { ...o, gate: gates[i] }));
      } finally {
        await server.close();
      }
    }
    return reports;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
