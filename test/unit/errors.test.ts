import {
  Conflict,
  DocumentFailed,
  ExtractionError,
  Forbidden,
  Invalid,
  MethodNotServed,
  NotFound,
  OpragError,
  RateLimited,
  TooLarge,
  Unauthorized,
  UnsupportedMedia,
} from '../../lambdas/core/errors';
import { toErrorResult } from '../../lambdas/http/errors';

const quiet = { error: () => {}, warn: () => {} };

describe('typed errors', () => {
  it('gives each error type its own class, status and type', () => {
    const cases: [OpragError, string, number][] = [
      [new Invalid('bad'), 'invalid_request', 400],
      [new Unauthorized(), 'unauthorized', 401],
      [new Forbidden(), 'forbidden', 403],
      [new NotFound('project'), 'not_found', 404],
      [new MethodNotServed('PUT'), 'not_found', 404],
      [new Conflict('taken'), 'conflict', 409],
      [new TooLarge('big'), 'payload_too_large', 413],
      [new UnsupportedMedia('rtf'), 'unsupported_media_type', 415],
      [new DocumentFailed('unreadable', { id: 'doc_1' }), 'unprocessable', 422],
      [new RateLimited('slow down', 7), 'rate_limited', 429],
    ];
    for (const [error, type, status] of cases) {
      expect(error).toBeInstanceOf(OpragError);
      expect(error).toBeInstanceOf(Error);
      expect([error.type, error.status]).toEqual([type, status]);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new NotFound('project').message).toBe('project not found');
    expect(new MethodNotServed('PUT').message).toBe('PUT is not served on this path');
  });

  it('keeps the error that caused it, for logs only', () => {
    const cause = new SyntaxError('Unexpected token');
    const error = new Invalid('the body is not valid JSON', { cause });
    expect(error.cause).toBe(cause);
    const logged: unknown[] = [];
    const result = toErrorResult(error, 'req_1', { error: () => {}, warn: (_m, f) => logged.push(f?.error) });
    expect(logged).toEqual([cause]);
    expect(result.body).not.toContain('Unexpected token');
    expect(new ExtractionError('the DOCX could not be read', { cause }).cause).toBe(cause);
  });

  it('maps every typed error to the API error body in one place', () => {
    const limited = toErrorResult(new RateLimited('chat limit reached', 12), 'req_2', quiet);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers?.['retry-after']).toBe('12');
    expect(JSON.parse(limited.body)).toEqual({
      error: { type: 'rate_limited', message: 'chat limit reached', request_id: 'req_2' },
    });
    const failed = toErrorResult(new DocumentFailed('the PDF is damaged', { id: 'doc_9' }), 'req_3', quiet);
    expect(failed.statusCode).toBe(422);
    expect(JSON.parse(failed.body)).toEqual({
      error: { type: 'unprocessable', message: 'the PDF is damaged', request_id: 'req_3' },
      document: { id: 'doc_9' },
    });
    const unknown = toErrorResult(new Error('connection string leaked'), 'req_4', quiet);
    expect(unknown.statusCode).toBe(500);
    expect(unknown.body).not.toContain('leaked');
  });
});
