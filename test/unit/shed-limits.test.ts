import { DEFAULT_SHED_LIMITS, shedLimitsFromEnv } from '../../lambdas/local/shed';

describe('shedLimitsFromEnv', () => {
  it('reads the limits an operator set, and only those', () => {
    expect(shedLimitsFromEnv({})).toEqual({});
    expect(
      shedLimitsFromEnv({
        OPRAG_MAX_CONNECTIONS: '64',
        OPRAG_MAX_CONCURRENT_UPLOADS: '2',
        OPRAG_KEEP_ALIVE_SECONDS: '',
      }),
    ).toEqual({ maxConnections: 64, maxConcurrentUploads: 2 });
  });

  it.each(['0', '-1', '1.5', 'many'])('refuses %s as a limit', (value) => {
    expect(() => shedLimitsFromEnv({ OPRAG_HEADERS_TIMEOUT_MS: value })).toThrow(
      'OPRAG_HEADERS_TIMEOUT_MS must be a whole number above 0',
    );
  });

  it('has defaults that let a header arrive before a request times out', () => {
    expect(DEFAULT_SHED_LIMITS.headersTimeoutMs).toBeLessThan(DEFAULT_SHED_LIMITS.requestTimeoutMs);
    expect(DEFAULT_SHED_LIMITS.discardBytes).toBeGreaterThan(0);
  });
});
