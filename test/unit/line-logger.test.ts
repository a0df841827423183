import { lineLogger, logLevelFromEnv, turnLines } from '../../lambdas/adapters/local/line-logger';

describe('the line logger', () => {
  it('writes one JSON line per event at or above its level, with the fields bound by with()', () => {
    const lines: string[] = [];
    const logger = lineLogger({ level: 'info', write: (l) => lines.push(l) });
    const request = logger.with({ request_id: 'req_1' });

    logger.debug('not written');
    request.info('request', { status: 200 });
    request.with({ route: '/v1/chat' }).warn('slow', { status: 200 });
    logger.error('failed', { error: new TypeError('bad input') });

    const parsed = lines.map((l) => JSON.parse(l));
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    expect(parsed).toEqual([
      { time: expect.any(String), level: 'info', message: 'request', request_id: 'req_1', status: 200 },
      { time: expect.any(String), level: 'warn', message: 'slow', request_id: 'req_1', route: '/v1/chat', status: 200 },
      {
        time: expect.any(String),
        level: 'error',
        message: 'failed',
        error: { name: 'TypeError', message: 'bad input', stack: expect.stringContaining('TypeError: bad input') },
      },
    ]);
  });

  it('writes nothing when silent', () => {
    const lines: string[] = [];
    const logger = lineLogger({ level: 'silent', write: (l) => lines.push(l) });
    logger.error('failed');
    logger.with({ a: 1 }).error('failed');
    expect(lines).toEqual([]);
  });

  it('takes its level from OPRAG_LOG_LEVEL, and is silent under tests unless asked', () => {
    expect(logLevelFromEnv({ OPRAG_LOG_LEVEL: 'warn' })).toBe('warn');
    expect(logLevelFromEnv({ OPRAG_LOG_LEVEL: 'DEBUG', NODE_ENV: 'test' })).toBe('debug');
    expect(logLevelFromEnv({ NODE_ENV: 'test' })).toBe('silent');
    expect(logLevelFromEnv({ OPRAG_LOG_LEVEL: 'loud' })).toBe('info');
    expect(logLevelFromEnv({})).toBe('info');
  });
});

describe('turnLines', () => {
  it("writes the lines of one turn together at its end, in order, and a turn's worth past 64 KB at once", async () => {
    const writes: string[] = [];
    const write = turnLines({ write: (chunk: string) => writes.push(chunk) });
    write('one');
    write('two');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['one\ntwo\n']);
    write('three');
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['one\ntwo\n', 'three\n']);

    const long = 'x'.repeat(40_000);
    write(long);
    write(long);
    expect(writes).toHaveLength(3); // written before the turn ends
    expect(writes[2]).toBe(`${long}\n${long}\n`);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(3); // nothing left to write
  });
});
