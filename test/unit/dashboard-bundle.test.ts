import { join } from 'node:path';
import { build } from 'esbuild';

const DASHBOARD = join(__dirname, '../../dashboard');

describe("the dashboard's bundle", () => {
  it('takes the wire types from the server code without bundling any of it', async () => {
    // the options of scripts/build-dashboard.ts, with the list of inputs kept
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

    expect(inputs.some((i) => i.startsWith('dashboard/src/'))).toBe(true);
    expect(inputs.filter((i) => !i.startsWith('dashboard/') && !i.includes('node_modules/'))).toEqual([]);
  });
});
