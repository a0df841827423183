import { AossClient } from '../../lambdas/adapters/aws/aoss-client';
import { withBedrockRetry } from '../../lambdas/adapters/aws/bedrock-retry';
import { InvocationBudget, OutOfTime, UNBOUNDED } from '../../lambdas/core/time-budget';

const throttled = () => Object.assign(new Error('slow down'), { name: 'ThrottlingException' });

describe("retries bounded by the invocation's remaining time (injected clock)", () => {
  it('makes no Bedrock call once the remaining time is within the margin', async () => {
    const send = jest.fn(async () => 'answer');
    await expect(withBedrockRetry(send, { remainingMs: () => 30_000, marginMs: 30_000 })).rejects.toBeInstanceOf(
      OutOfTime,
    );
    expect(send).not.toHaveBeenCalled();
  });

  it('stops retrying a throttled Bedrock call when the pause would end inside the margin, long before its attempts run out', async () => {
    // each call spends ten simulated seconds of the invocation
    let left = 55_000;
    const signals: (AbortSignal | undefined)[] = [];
    const send = jest.fn(async (signal?: AbortSignal) => {
      signals.push(signal);
      left -= 10_000;
      throw throttled();
    });
    const out = withBedrockRetry(send, {
      attempts: 20,
      baseDelayMs: 1,
      maxDelayMs: 1,
      remainingMs: () => left,
      marginMs: 30_000,
    });
    await expect(out).rejects.toBeInstanceOf(OutOfTime);
    // 55 s → 45 s → 35 s → 25 s: the third call still started outside the margin, no fourth
    expect(send).toHaveBeenCalledTimes(3);
    // every call is cut where the margin begins
    expect(signals.every((s) => s instanceof AbortSignal && !s.aborted)).toBe(true);
  });

  it('keeps its attempt limit and passes no deadline when nothing bounds the time', async () => {
    const signals: (AbortSignal | undefined)[] = [];
    const send = jest.fn(async (signal?: AbortSignal) => {
      signals.push(signal);
      throw throttled();
    });
    await expect(withBedrockRetry(send, { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 })).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    expect(send).toHaveBeenCalledTimes(3);
    expect(signals).toEqual([undefined, undefined, undefined]);
  });

  it('does not retry an OpenSearch request into the margin, long before its attempts run out', async () => {
    let left = 55_000;
    const calls: { url: string; signal: AbortSignal | null | undefined }[] = [];
    const fetch = (async (url: string, init?: RequestInit) => {
      calls.push({ url, signal: init?.signal });
      left -= 10_000;
      return new Response(JSON.stringify({ error: { type: 'too_many', reason: 'busy' } }), { status: 429 });
    }) as unknown as typeof globalThis.fetch;
    const client = new AossClient({
      region: 'us-east-1',
      signer: { sign: async (r) => ({ headers: r.headers as Record<string, string> }) },
      fetch,
      retry: { attempts: 20, baseDelayMs: 1, maxDelayMs: 1 },
      remainingMs: () => left,
      marginMs: 30_000,
    });
    await expect(client.request('https://aoss.example', 'POST', '/idx/_search', { body: {} })).rejects.toBeInstanceOf(
      OutOfTime,
    );
    expect(calls).toHaveLength(3);
    await expect(client.pause(1, 'a test')).rejects.toBeInstanceOf(OutOfTime);
  });

  it('starts no OpenSearch request inside the margin', async () => {
    const fetch = jest.fn();
    const client = new AossClient({
      region: 'us-east-1',
      signer: { sign: async (r) => ({ headers: r.headers as Record<string, string> }) },
      fetch: fetch as unknown as typeof globalThis.fetch,
      remainingMs: () => 10_000,
      marginMs: 30_000,
    });
    await expect(client.request('https://aoss.example', 'GET', '/_cat/indices')).rejects.toBeInstanceOf(OutOfTime);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('points the shared budget at one invocation while it runs, and lifts it afterwards, even when the work throws', async () => {
    const budget = new InvocationBudget();
    expect(budget.remainingMs()).toBe(UNBOUNDED());
    const seen = await budget.within(
      () => 1234,
      async () => budget.remainingMs(),
    );
    expect(seen).toBe(1234);
    expect(budget.remainingMs()).toBe(Number.POSITIVE_INFINITY);
    await expect(
      budget.within(
        () => 5,
        async () => {
          throw new Error('boom');
        },
      ),
    ).rejects.toThrow('boom');
    expect(budget.remainingMs()).toBe(Number.POSITIVE_INFINITY);
  });
});
