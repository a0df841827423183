import { DocumentRuns } from '../../lambdas/service/ingest/runs';

/** A run the test finishes when it wants: what it logged, and the hand to end it. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('DocumentRuns', () => {
  it('lets runs of other documents go side by side, and one sharing a document wait for the earlier run', async () => {
    const runs = new DocumentRuns();
    const log: string[] = [];
    const first = gate();
    const a = runs.exclusive('p1', ['d1', 'd2'], async () => {
      log.push('a starts');
      await first.opened;
      log.push('a ends');
    });
    const b = runs.exclusive('p1', ['d3'], async () => log.push('b runs'));
    // the same document id in another project is another document
    const c = runs.exclusive('p2', ['d1'], async () => log.push('c runs'));
    const d = runs.exclusive('p1', ['d2', 'd3'], async () => log.push('d runs'));
    await turn();
    expect(log).toEqual(['a starts', 'b runs', 'c runs']);

    first.open();
    await Promise.all([a, b, c, d]);
    expect(log).toEqual(['a starts', 'b runs', 'c runs', 'a ends', 'd runs']);
    expect(runs.size).toBe(0);
  });

  it('keeps the order runs began in, each waiting for all the earlier ones it shares a document with', async () => {
    const runs = new DocumentRuns();
    const log: number[] = [];
    const gates = [gate(), gate(), gate()];
    const all = [
      runs.exclusive('p', ['x'], async () => {
        await gates[0].opened;
        log.push(0);
      }),
      runs.exclusive('p', ['y'], async () => {
        await gates[1].opened;
        log.push(1);
      }),
      runs.exclusive('p', ['x', 'y'], async () => log.push(2)),
      runs.exclusive('p', ['x'], async () => log.push(3)),
    ];
    gates[1].open();
    await turn();
    expect(log).toEqual([1]); // the third waits for the first as well
    gates[0].open();
    await Promise.all(all);
    expect(log).toEqual([1, 0, 2, 3]);
  });

  it('lets the next run go when one fails, and gives the failure to its caller alone', async () => {
    const runs = new DocumentRuns();
    const failing = runs.exclusive('p', ['d'], async () => {
      throw new Error('the reader broke');
    });
    const next = runs.exclusive('p', ['d', 'd'], async () => 'written');
    await expect(failing).rejects.toThrow('the reader broke');
    await expect(next).resolves.toBe('written');
    expect(runs.size).toBe(0);
  });
});
