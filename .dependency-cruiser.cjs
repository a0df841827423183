/**
 * The layers of lambdas/, checked by `npm run lint:layers` (dependency-cruiser):
 *
 *   core      pure logic; imports only core (and npm packages, node builtins)
 *   ports.ts  the interfaces the use cases need; imports only core
 *   service   the use cases; imports core, ports and service
 *   adapters  implement the ports; import core, ports and other adapters
 *   http, handlers, local, client: the edges
 *
 * Only the composition roots (handlers/compose.ts, handlers/compose-reader.ts for the document
 * reader function, local/compose.ts) and the CLI's entry
 * (bin/) import adapters. lambdas/client does not: it talks to a server over HTTP and starts a
 * throwaway one through local/, which composes it. scripts/ and test/ are tools that may assemble
 * whatever they measure, so no rule restricts what they import.
 * Type-only imports count (tsPreCompilationDeps), as they would once types carried behaviour.
 */

const { join } = require('node:path');

/** Files of this repository (npm packages resolve under node_modules/, builtins to their names). */
const OWN = '^(lambdas|lib|bin|scripts|test|dashboard)/';

module.exports = {
  forbidden: [
    {
      name: 'core-imports-only-core',
      comment: 'lambdas/core is pure logic: it may import other core modules, npm packages and node builtins only.',
      severity: 'error',
      from: { path: '^lambdas/core/' },
      to: { path: OWN, pathNot: '^lambdas/core/' },
    },
    {
      name: 'ports-import-only-core',
      comment: 'lambdas/ports.ts declares interfaces over core types; it imports nothing else of ours.',
      severity: 'error',
      from: { path: '^lambdas/ports\\.ts$' },
      to: { path: OWN, pathNot: '^lambdas/core/' },
    },
    {
      name: 'service-imports-core-ports-service',
      comment:
        'lambdas/service holds the use cases: it imports core, ports and service, never adapters, http, handlers, local or client.',
      severity: 'error',
      from: { path: '^lambdas/service/' },
      to: { path: OWN, pathNot: ['^lambdas/core/', '^lambdas/ports\\.ts$', '^lambdas/service/'] },
    },
    {
      name: 'adapters-import-core-ports-adapters',
      comment:
        'lambdas/adapters implement the ports: they import core, ports and other adapters, never service, http, handlers, local or client.',
      severity: 'error',
      from: { path: '^lambdas/adapters/' },
      to: { path: OWN, pathNot: ['^lambdas/core/', '^lambdas/ports\\.ts$', '^lambdas/adapters/'] },
    },
    {
      name: 'only-composition-roots-import-adapters',
      comment:
        'Adapters are chosen in one place per home: handlers/compose.ts (AWS; handlers/compose-reader.ts for the document reader function), local/compose.ts (local) and the CLI entry (bin/).',
      severity: 'error',
      from: {
        path: OWN,
        pathNot: [
          '^lambdas/adapters/',
          '^lambdas/handlers/compose\\.ts$',
          '^lambdas/handlers/compose-reader\\.ts$',
          '^lambdas/local/compose\\.ts$',
          '^bin/',
          '^scripts/',
          '^test/',
        ],
      },
      to: { path: '^lambdas/adapters/' },
    },
    {
      name: 'no-circular',
      comment: 'Modules of ours form no cycle.',
      severity: 'error',
      from: { path: OWN },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|cdk\\.out|coverage)/' },
    tsPreCompilationDeps: true,
    // by its own path, so that a check run from another folder (the tests' planted tree) reads it too
    tsConfig: { fileName: join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.cjs', '.mjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
