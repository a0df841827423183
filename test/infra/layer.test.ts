import { join } from 'node:path';
import { DOCUMENT_READER_PACKAGES, packageClosure } from '../../lib/document-readers-layer';
import { EXTERNAL_MODULES } from '../../lib/oprag-function';
import { type Json, synth } from './synth';

describe('the document readers layer', () => {
  const { resources } = synth('staging');
  const functions = Object.values(resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.FunctionName ?? '').startsWith('oprag-'),
  );
  const byName = (name: string) => functions.find((f) => f.Properties.FunctionName === `oprag-staging-${name}`) as Json;
  // Oprag's own layers; CDK adds an AWS CLI layer to the dashboard's deploy-time copy
  const layers = Object.entries(resources).filter(
    ([, r]) => r.Type === 'AWS::Lambda::LayerVersion' && String(r.Properties.LayerName ?? '').startsWith('oprag-'),
  );

  it('is one arm64 / nodejs22.x layer', () => {
    expect(layers).toHaveLength(1);
    expect(layers[0][1].Properties).toMatchObject({
      LayerName: 'oprag-staging-document-readers',
      CompatibleRuntimes: ['nodejs22.x'],
      CompatibleArchitectures: ['arm64'],
    });
  });

  it('goes to the functions that ingest, and only to them', () => {
    const layerRef = [{ Ref: layers[0][0] }];
    expect(byName('documents').Properties.Layers).toEqual(layerRef);
    expect(byName('worker').Properties.Layers).toEqual(layerRef);
    expect(byName('control').Properties.Layers).toBeUndefined();
    expect(byName('query').Properties.Layers).toBeUndefined();
  });

  it('carries what the bundles leave out, with every dependency', () => {
    for (const pkg of DOCUMENT_READER_PACKAGES) expect(EXTERNAL_MODULES).toContain(pkg);
    const closure = packageClosure(join(__dirname, '../../package-lock.json'), DOCUMENT_READER_PACKAGES);
    expect(closure).toEqual(
      expect.arrayContaining(['node_modules/unpdf', 'node_modules/mammoth', 'node_modules/jszip']),
    );
    expect(closure.some((p) => p.includes('better-sqlite3'))).toBe(false);
    expect(() => packageClosure(join(__dirname, '../../package-lock.json'), ['no-such-package-here'])).toThrow(
      /lockfile/,
    );
  });
});
