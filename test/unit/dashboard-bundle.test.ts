import { join } from 'node:path';
import { build } from 'esbuild';
import { CLIENT_SOURCES } from '../../dashboard/build';

const DASHBOARD = join(__dirname, '../../dashboard');

/** The one part of lambdas/ the dashboard runs: the typed client it calls the API through. */
const CLIENT = ['lambdas/client/oprag-common.ts', 'lambdas/client/oprag-project.ts', 'lambdas/client/oprag.ts'];

describe("the dashboard's bundle", () => {
  it('bundles the typed client and no other server code; the wire types and schemas stay type-only', async () => {
    // the options of dashboard/build.ts, with the list of inputs kept
    const result = await build({
      entryPoints: [join(DASHBOARD, 'src', 'main.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      target: ['es2020'],
      platform: 'browser',
      metafile: true,
      logLevel: 'silent',
      tsconfig: join(DASHBOARD, 'tsconfig.json'),
    });
    const inputs = Object.keys(result.metafile.inputs);
    const packages = inputs.filter((i) => i.includes('node_modules/'));
    const code = result.outputFiles[0].text;

    expect(inputs.some((i) => i.startsWith('dashboard/src/'))).toBe(true);
    // the client's three files, and nothing else of ours outside dashboard/: not wire.ts, not schemas.ts
    expect(inputs.filter((i) => !i.startsWith('dashboard/') && !i.includes('node_modules/')).sort()).toEqual(CLIENT);
    // the build's stamp counts the same files, so a change to the client builds the dashboard again
    expect([...CLIENT_SOURCES].sort()).toEqual(CLIENT);
    // of npm packages only the view library: zod (the client's types) is never bundled
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.filter((i) => !/node_modules\/(preact|htm)\//.test(i))).toEqual([]);
    // and nothing of Node's in the code the browser runs
    expect(code).not.toMatch(/\bBuffer\b|\brequire\(|\bprocess\./);
  });
});
