import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { OpenSearchIndex, type PoolLoad } from '../../lambdas/adapters/aws/opensearch-index';
import { newId } from '../../lambdas/core/ids';
import type { SearchIndex } from '../../lambdas/ports';
import { describeSearchIndexContract } from '../contract/search-index.contract';
import { DUMMY_CREDENTIALS, errorBody, FakeCollection, type Received } from './opensearch-fake';

/** The mapping a project's index must get, written out here so that a change to it is deliberate. */
const EXPECTED_INDEX_BODY = {
  settings: { index: { knn: true } },
  mappings: {
    dynamic: 'strict',
    properties: {
      chunk_id: { type: 'keyword' },
      document_id: { type: 'keyword' },
      version: { type: 'long' },
      ordinal: { type: 'integer' },
      page: { type: 'integer' },
      title: { type: 'text', analyzer: 'english' },
      section: { type: 'text', analyzer: 'english' },
      text: { type: 'text', analyzer: 'english' },
      url: { type: 'keyword', index: false, doc_values: false },
      tags: { type: 'keyword' },
      vector: {
        type: 'knn_vector',
        dimension: 8,
        method: {
          name: 'hnsw',
          engine: 'faiss',
          space_type: 'innerproduct',
          parameters: { m: 16, ef_construction: 128 },
        },
      },
    },
  },
};

const catRow = (index: string) => ({ health: 'green', status: 'open', index, uuid: 'u', 'docs.count': '0' });
const catOf = (...names: string[]) => ({ body: names.map(catRow) });
const projectIndexes = (n: number) => Array.from({ length: n }, () => `oprag-${newId('project')}`);

describe('OpenSearchIndex: placement and index creation', () => {
  let a: FakeCollection;
  let b: FakeCollection;
  const make = (indexCap = 3, onPoolLoad?: (load: PoolLoad) => void) =>
    new OpenSearchIndex({
      onPoolLoad,
      collections: [
        { name: 'coll-a', endpoint: a.url },
        { name: 'coll-b', endpoint: `${b.url}/` },
      ],
      indexCap,
      dimensions: 8,
      region: 'us-east-1',
      credentials: DUMMY_CREDENTIALS,
      retry: { attempts: 3, baseDelayMs: 1 },
    });
  beforeEach(async () => {
    a = await new FakeCollection().start();
    b = await new FakeCollection().start();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('creates the index with its mapping in the least-loaded collection and returns its name', async () => {
    a.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(2), 'other-app-index'));
    b.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(1), 'another', 'oprag-not-a-project'));
    const projectId = newId('project');
    b.on('PUT', `/oprag-${projectId}`, { body: { acknowledged: true, shards_acknowledged: true, index: 'x' } });

    const placement = await make().createProject(projectId);

    expect(placement).toBe('coll-b');
    expect(a.calls()).toEqual(['GET /_cat/indices/oprag-*']);
    expect(a.received[0].query).toEqual({ format: 'json' });
    expect(b.calls()).toEqual(['GET /_cat/indices/oprag-*', `PUT /oprag-${projectId}`]);
    expect(b.received[1].headers['content-type']).toBe('application/json');
    expect(b.json(1)).toEqual(EXPECTED_INDEX_BODY);
  });

  it('reports the pool load after a new index, counting only project indexes', async () => {
    a.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(2), 'oprag-not-a-project'));
    b.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(1)));
    const projectId = newId('project');
    b.on('PUT', `/oprag-${projectId}`, { body: { acknowledged: true } });
    const loads: PoolLoad[] = [];

    await make(3, (l) => loads.push(l)).createProject(projectId);

    expect(loads).toEqual([{ indexes: 4, capacity: 6 }]);
  });

  it('reports nothing when the pool is full', async () => {
    a.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(2)));
    b.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(2)));
    const loads: PoolLoad[] = [];

    await expect(make(2, (l) => loads.push(l)).createProject(newId('project'))).rejects.toThrow(/no room/);

    expect(loads).toEqual([]);
  });

  it('on a tie picks the collection listed first', async () => {
    a.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(1)));
    b.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(1)));
    const projectId = newId('project');
    a.on('PUT', `/oprag-${projectId}`, { body: { acknowledged: true } });

    expect(await make().createProject(projectId)).toBe('coll-a');
    expect(b.calls()).toEqual(['GET /_cat/indices/oprag-*']);
  });

  it('refuses with a conflict when every collection is at its cap, creating nothing', async () => {
    a.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(2)));
    b.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(3)));

    const created = make(2).createProject(newId('project'));

    await expect(created).rejects.toMatchObject({ type: 'conflict', status: 409 });
    await expect(created).rejects.toThrow(/each of the 2 OpenSearch collection\(s\) already holds 2 project indexes/);
    expect([...a.calls(), ...b.calls()]).toEqual(['GET /_cat/indices/oprag-*', 'GET /_cat/indices/oprag-*']);
  });

  it('refuses invalid project ids and placements outside the pool, sending nothing', async () => {
    const index = make();
    for (const bad of ['../x', 'prj_bad', '', `${newId('project')}/../x`, newId('document')]) {
      expect(() => index.forProject(bad, 'coll-a')).toThrow('invalid project id');
      await expect(index.createProject(bad)).rejects.toThrow('invalid project id');
    }
    expect(() => index.forProject(newId('project'), 'coll-z')).toThrow('"coll-z" is not a collection of the pool');
    expect(() => index.forProject(newId('project'))).toThrow('no index placement');
    expect([...a.received, ...b.received]).toEqual([]);
  });

  it('signs every request with SigV4 for service aoss, over the exact body it sends', async () => {
    a.on('GET', '/_cat/indices/oprag-*', catOf());
    b.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(1)));
    const projectId = newId('project');
    a.on('PUT', `/oprag-${projectId}`, { body: { acknowledged: true } });

    await make().createProject(projectId);

    const put = a.received[1];
    expect(put.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDOPRAGTEST\/\d{8}\/us-east-1\/aoss\/aws4_request, SignedHeaders=[^,]*host[^,]*;x-amz-content-sha256;[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(put.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(put.body).digest('hex'));
    expect(put.headers['x-amz-security-token']).toBe(DUMMY_CREDENTIALS.sessionToken);
    expect(a.received[0].headers['x-amz-content-sha256']).toBe(createHash('sha256').update('').digest('hex'));
    for (const r of [...a.received, ...b.received]) {
      expect(r.headers.authorization).toBe(await recomputeAuthorization(r));
    }
  });

  it('retries a 429 and then succeeds', async () => {
    const throttled = { status: 429, body: errorBody(429, 'too_many_requests', 'Request rate exceeded') };
    a.on('GET', '/_cat/indices/oprag-*', throttled, throttled, catOf());
    b.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(1)));
    const projectId = newId('project');
    a.on('PUT', `/oprag-${projectId}`, { status: 503, body: { message: 'scaling' } }, { body: { acknowledged: true } });

    expect(await make().createProject(projectId)).toBe('coll-a');
    expect(a.calls()).toEqual([
      'GET /_cat/indices/oprag-*',
      'GET /_cat/indices/oprag-*',
      'GET /_cat/indices/oprag-*',
      `PUT /oprag-${projectId}`,
      `PUT /oprag-${projectId}`,
    ]);
  });

  it('gives up after the bounded attempts with the throttling error', async () => {
    a.on('GET', '/_cat/indices/oprag-*', {
      status: 429,
      body: errorBody(429, 'too_many_requests', 'Request rate exceeded'),
    });
    b.on('GET', '/_cat/indices/oprag-*', catOf());

    await expect(make().createProject(newId('project'))).rejects.toThrow(
      'OpenSearch GET /_cat/indices/oprag-* failed with 429 too_many_requests: Request rate exceeded',
    );
    expect(a.received).toHaveLength(3);
  });

  it("surfaces a 400's OpenSearch error type and reason, never the credentials", async () => {
    a.on('GET', '/_cat/indices/oprag-*', catOf());
    b.on('GET', '/_cat/indices/oprag-*', catOf(...projectIndexes(1)));
    const projectId = newId('project');
    const reason = 'Validation Failed: 1: space type [innerproduct] is not supported;';
    a.on('PUT', `/oprag-${projectId}`, { status: 400, body: errorBody(400, 'illegal_argument_exception', reason) });

    const error = (await make()
      .createProject(projectId)
      .catch((e: Error) => e)) as Error;

    expect(error.message).toBe(
      `OpenSearch PUT /oprag-${projectId} failed with 400 illegal_argument_exception: ${reason}`,
    );
    expect(a.calls().filter((c) => c.startsWith('PUT'))).toHaveLength(1);
    for (const secret of Object.values(DUMMY_CREDENTIALS)) expect(JSON.stringify(error)).not.toContain(secret);
    expect(error.message).not.toContain(DUMMY_CREDENTIALS.secretAccessKey);
  });
});

/** Signs the received request again with the same credentials and time: the signature must match. */
async function recomputeAuthorization(r: Received): Promise<string> {
  const auth = String(r.headers.authorization);
  const signed = (/SignedHeaders=([^,]+)/.exec(auth) as RegExpExecArray)[1].split(';');
  const headers = Object.fromEntries(signed.map((h) => [h, String(r.headers[h])]));
  const at = String(r.headers['x-amz-date']).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
  const [hostname, port] = String(r.headers.host).split(':');
  const request = new HttpRequest({
    method: r.method,
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: r.path,
    query: r.query,
    headers,
    body: r.body || undefined,
  });
  const signer = new SignatureV4({
    service: 'aoss',
    region: 'us-east-1',
    credentials: DUMMY_CREDENTIALS,
    sha256: Sha256,
  });
  return (await signer.sign(request, { signingDate: new Date(at) })).headers.authorization;
}

// The port's contract against a real endpoint (an AOSS collection, or any OpenSearch 2.x), only when asked for.
const realEndpoint = process.env.OPRAG_TEST_OPENSEARCH_URL;
if (realEndpoint) {
  process.stdout.write(`Running the SearchIndex contract against the real OpenSearch endpoint ${realEndpoint}\n`);
  jest.setTimeout(10 * 60_000);
  describeSearchIndexContract(`OpenSearchIndex at ${realEndpoint}`, async () => {
    const index = new OpenSearchIndex({
      collections: [{ name: 'contract', endpoint: realEndpoint }],
      indexCap: 10_000,
      dimensions: 8,
      region: process.env.OPRAG_TEST_OPENSEARCH_REGION ?? process.env.AWS_REGION ?? 'us-east-1',
    });
    const created: [string, string][] = [];
    const tracked: SearchIndex = {
      async createProject(projectId) {
        const placement = await index.createProject(projectId);
        created.push([projectId, placement]);
        return placement;
      },
      forProject: (projectId, placement) => index.forProject(projectId, placement),
    };
    return {
      index: tracked,
      async close() {
        for (const [projectId, placement] of created) await index.forProject(projectId, placement).drop();
      },
    };
  });
} else {
  process.stdout.write(
    'The SearchIndex contract run against a real OpenSearch endpoint was skipped because OPRAG_TEST_OPENSEARCH_URL is not set.\n',
  );
}
