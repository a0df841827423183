import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { lineLogger, logLevelFromEnv, toStderr } from '../../lambdas/adapters/local/line-logger';

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

  it("writes a turn's lines to stderr together, at the turn's end, in order", async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      toStderr('one');
      toStderr('two');
      toStderr('three');
      expect(writes).toEqual([]);
      await new Promise((resolve) => setImmediate(resolve));
      toStderr('four');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      spy.mockRestore();
    }
    expect(writes).toEqual(['one\ntwo\nthree\n', 'four\n']);
  });

  it('writes the lines still waiting when the process exits, even at once', () => {
    const logger = join(__dirname, '../../lambdas/adapters/local/line-logger.ts');
    const script = `const { lineLogger } = require(${JSON.stringify(logger)});
      const log = lineLogger({ level: 'info' });
      log.info('first'); log.warn('second'); process.exit(3);`;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
        stdio: 'pipe',
        env: { PATH: process.env.PATH },
      });
    } catch (e) {
      const failed = e as { status: number; stderr: Buffer };
      expect(failed.status).toBe(3);
      stderr = failed.stderr.toString();
    }
    expect(
      stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).message),
    ).toEqual(['first', 'second']);
  });
});
