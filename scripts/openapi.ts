/**
 * Writes docs/openapi.json, the OpenAPI document the API serves at `GET /v1/openapi.json` (without
 * a server URL): `npm run openapi`. test/unit/openapi.test.ts fails when the copy is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../lambdas/http/openapi';

export const OPENAPI_FILE = join(__dirname, '../docs/openapi.json');

/** The checked-in copy's text: the document, two-space indented, with a final newline. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, openApiText());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
