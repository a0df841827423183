/**
 * What the chat load run (load-chat.ts) asks and ingests: the SciFact and Climate-FEVER corpora,
 * read from the eval data, and the questions rotated over by the chat connections — the SciFact
 * test claims interleaved with off-topic support and trivia questions that should be refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../lambdas/client/beir';

/** Questions no scientific abstract or climate sentence answers: each should be refused. */
export const OFF_TOPIC = [
  'How do I reset my password?',
  'What is your refund policy for annual plans?',
  'Can I export my invoices as PDF?',
  'How do I add a teammate to my workspace?',
  'Which payment methods do you accept?',
  'How do I cancel my subscription?',
  'Is there a mobile app for Android?',
  'How do I change the email address on my account?',
  'What are your support hours on weekends?',
  'Do you offer a discount for nonprofits?',
  'How do I connect the Slack integration?',
  'Where can I download last month’s receipt?',
  'What is the maximum file size for attachments?',
  'How do I enable single sign-on with Okta?',
  'Can I change my username after signing up?',
  'Who won the 1998 football world cup?',
  'What is a good recipe for banana bread?',
  'How do I configure a VPN on my router?',
  'What time does the Louvre open on Sundays?',
  'How many players are on a basketball team?',
  'What is the capital of Australia?',
  'How do I undo the last commit in git?',
  'Which keyboard shortcut takes a screenshot on a Mac?',
  'How long does shipping to Canada take?',
  'Can I pay by bank transfer in euros?',
  'How do I delete my account permanently?',
  'What does the premium plan include?',
  'How do I rotate my API key?',
  'Is my data stored in the EU?',
  'How do I print a shipping label?',
];

export type Doc = { _id: string; title: string; text: string };

/** The corpora, and the claims and off-topic questions interleaved, so each stretch of the run sees both. */
export function loadQuestions(evalData: string) {
  const scifact = readJsonl<Doc>(join(evalData, 'scifact/corpus.jsonl'));
  const climate = readJsonl<Doc>(join(evalData, 'climate-fever/corpus.jsonl'));
  const queryText = new Map(
    readJsonl<{ _id: string; text: string }>(join(evalData, 'scifact/queries.jsonl')).map((q) => [q._id, q.text]),
  );
  const testIds = new Set(
    readFileSync(join(evalData, 'scifact/qrels/test.tsv'), 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t')[0])
      .filter(Boolean),
  );
  const claims = [...testIds].map((id) => queryText.get(id)).filter((q): q is string => Boolean(q));
  // claims and off-topic questions interleaved, so each stretch of the run sees both
  const questions: { text: string; offTopic: boolean }[] = [];
  const every = Math.max(1, Math.round(claims.length / OFF_TOPIC.length));
  claims.forEach((text, i) => {
    questions.push({ text, offTopic: false });
    if (i % every === every - 1 && i / every < OFF_TOPIC.length)
      questions.push({ text: OFF_TOPIC[Math.floor(i / every)], offTopic: true });
  });
  return { scifact, climate, claims, questions };
}
