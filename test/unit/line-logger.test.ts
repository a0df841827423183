import { lineLogger, logLevelFromEnv } from '../../lambdas/adapters/local/line-logger';

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
