// Validates an OpenAPI document file with @seriousme/openapi-schema-validator (ESM only, so run
// as its own process by test/unit/openapi.test.ts); prints {valid, version, errors} as JSON.
import { Validator } from '@seriousme/openapi-schema-validator';

const validator = new Validator();
const result = await validator.validate(process.argv[2]);
process.stdout.write(
  JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }),
);
