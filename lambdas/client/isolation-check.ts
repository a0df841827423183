import { randomBytes } from 'node:crypto';
import { ApiClient, expectStatus } from './api-client';

export interface CheckResult {
  name: string;
  passed: boolean;
  detail: string;
}

export interface IsolationReport {
  passed: boolean;
  checks: CheckResult[];
}

interface ChatBody {
  answer: string;
  grounded: boolean;
  citations: { document_id: string; snippet: string }[];
  refusal: unknown;
}

/**
 * The isolation check, against any deployment: two fresh projects each hold a secret marker;
 * each must answer for its own marker, refuse with no citations when asked for the other's,
 * and every route of one project must answer 404 to the other project's key. The projects are
 * deleted at the end, whatever happened.
 */
export async function runIsolationCheck(baseUrl: string, adminKey: string): Promise<IsolationReport> {
  const admin = new ApiClient(baseUrl, adminKey);
  const checks: CheckResult[] = [];
  const check = (name: string, passed: boolean, detail = '') => checks.push({ name, passed, detail });
  const tag = randomBytes(3).toString('hex');
  const marker = { a: `zq${randomBytes(6).toString('hex')}`, b: `zq${randomBytes(6).toString('hex')}` };
  // identifiers (letters and digits), as real secrets are
  const word = { a: `vault7${randomBytes(3).toString('hex')}`, b: `vault7${randomBytes(3).toString('hex')}` };
  const created: string[] = [];

  try {
    expectStatus(await admin.get('/v1/company'), 200, 'the admin key reads its company');
    const make = async (side: 'a' | 'b') => {
      const res = expectStatus(
        await admin.post<{ project: { id: string }; api_key: { key: string } }>('/v1/projects', {
          name: `isolation check ${side.toUpperCase()} ${tag}`,
          environment: 'staging',
        }),
        201,
        `create project ${side.toUpperCase()}`,
      );
      created.push(res.project.id);
      const client = admin.withKey(res.api_key.key);
      const doc = expectStatus(
        await client.post<{ document: { id: string } }>(`/v1/projects/${res.project.id}/documents?wait=true`, {
          title: `Isolation marker ${side.toUpperCase()}`,
          text: `The passphrase of this project is ${marker[side]}. It opens the ${word[side]} archive.`,
          external_id: `isolation-check-${side}`,
        }),
        201,
        `ingest the marker of ${side.toUpperCase()}`,
      );
      return { id: res.project.id, key: res.api_key.key, client, docId: doc.document.id };
    };
    const a = await make('a');
    const b = await make('b');
    const sides = [
      { me: a, other: b, mine: 'a' as const, theirs: 'b' as const },
      { me: b, other: a, mine: 'b' as const, theirs: 'a' as const },
    ];

    for (const { me, other, mine, theirs } of sides) {
      const M = mine.toUpperCase();
      const T = theirs.toUpperCase();
      const chat = (client: ApiClient, projectId: string, question: string) =>
        client.post<ChatBody>(`/v1/projects/${projectId}/chat`, { question });

      const own = await chat(me.client, me.id, 'What is the passphrase of this project?');
      check(
        `${M} answers for its own marker (control)`,
        own.status === 200 && own.body.grounded && own.body.answer.includes(marker[mine]),
        own.status === 200 ? own.body.answer : `status ${own.status}`,
      );
      const ownClean = own.status === 200 && !JSON.stringify(own.body).includes(marker[theirs]);
      check(`${M}'s own answer holds nothing of ${T}`, ownClean);

      for (const question of [
        `What is ${marker[theirs]}?`,
        `What does the passphrase ${marker[theirs]} open?`,
        `What is in the ${word[theirs]} archive?`,
      ]) {
        const res = await chat(me.client, me.id, question);
        const refused = res.status === 200 && res.body.refusal !== null && res.body.citations.length === 0;
        const leaked = JSON.stringify(res.body).includes(marker[theirs]) && !question.includes(marker[theirs]);
        check(
          `${M} refuses "${question}"`,
          refused && !leaked,
          res.status === 200 ? res.body.answer : `status ${res.status}`,
        );
      }

      const retrieved = await me.client.post<{ results: { text: string; document_id: string }[] }>(
        `/v1/projects/${me.id}/retrieve`,
        { query: `${marker[theirs]} ${word[theirs]} passphrase archive` },
      );
      const foreign =
        retrieved.status === 200 &&
        retrieved.body.results.some((r) => r.document_id === other.docId || r.text.includes(marker[theirs]));
      check(`${M}'s retrieve never returns ${T}'s passages`, retrieved.status === 200 && !foreign);

      const bodyPick = await me.client.post<ChatBody>('/v1/chat', {
        question: `What does the passphrase ${marker[theirs]} open?`,
        project_id: other.id,
      });
      check(
        `a project_id in ${M}'s request body selects nothing`,
        bodyPick.status === 200 && !JSON.stringify(bodyPick.body).includes(word[theirs]),
      );

      const probes: [string, string, unknown?][] = [
        ['GET', `/v1/projects/${other.id}`],
        ['GET', `/v1/projects/${other.id}/documents`],
        ['GET', `/v1/projects/${other.id}/documents/${other.docId}`],
        ['GET', `/v1/projects/${other.id}/documents/${other.docId}/content`],
        ['DELETE', `/v1/projects/${other.id}/documents/${other.docId}`],
        ['POST', `/v1/projects/${other.id}/documents`, { text: 'intruder' }],
        ['POST', `/v1/projects/${other.id}/documents/batch`, { documents: [{ text: 'intruder' }] }],
        ['POST', `/v1/projects/${other.id}/uploads`, { filename: 'x.txt', content_type: 'text/plain' }],
        ['POST', `/v1/projects/${other.id}/retrieve`, { query: 'passphrase' }],
        ['POST', `/v1/projects/${other.id}/chat`, { question: 'What is the passphrase?' }],
        ['GET', `/v1/projects/${other.id}/golden-questions`],
        ['GET', `/v1/projects/${other.id}/audit`],
        ['GET', `/v1/projects/${other.id}/keys`],
        ['GET', `/v1/projects/${other.id}/export`],
        ['DELETE', `/v1/projects/${other.id}`],
        ['GET', `/v1/documents/${other.docId}`],
        ['DELETE', `/v1/documents/${other.docId}`],
      ];
      for (const [method, path, body] of probes) {
        const res = await me.client.request(method, path, body);
        check(
          `${M}'s key on ${method} ${path.replace(other.id, `{${T}}`).replace(other.docId, `{${T} doc}`)} → 404`,
          res.status === 404,
          `status ${res.status}`,
        );
      }
    }

    const still = await b.client.get<{ document: { status: string } }>(`/v1/documents/${b.docId}`);
    check("B's document survived A's attempts", still.status === 200 && still.body.document.status === 'ready');
  } catch (e) {
    check('the check ran to the end', false, (e as Error).message);
  } finally {
    for (const id of created) {
      const res = await admin.delete(`/v1/projects/${id}`).catch(() => null);
      check(`cleanup: project ${id} deleted`, res?.status === 200, res ? `status ${res.status}` : 'no answer');
    }
  }
  return { passed: checks.every((c) => c.passed), checks };
}

export function formatReport(report: IsolationReport): string {
  const lines = report.checks.map(
    (c) => `${c.passed ? 'PASS' : 'FAIL'}  ${c.name}${!c.passed && c.detail ? ` — ${c.detail}` : ''}`,
  );
  const failed = report.checks.filter((c) => !c.passed).length;
  lines.push('');
  lines.push(
    report.passed
      ? `isolation check passed: ${report.checks.length} checks, no leak`
      : `isolation check FAILED: ${failed} of ${report.checks.length} checks failed`,
  );
  return lines.join('\n');
}
