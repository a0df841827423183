import type { z } from 'zod';
import { Invalid } from '../core/errors';

/** Parses input with a schema; the first problem becomes a 400 naming the field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.');
  throw new Invalid(field ? `${field}: ${issue.message}` : issue.message);
}

/** The JSON body of a request, or a 400 when it is not JSON. */
export function jsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new Invalid('the body is not valid JSON');
  }
}
