import { join } from 'node:path';
import { DOCUMENT_READER_PACKAGES, DocumentReadersLayer, packageClosure } from '../../lib/document-readers-layer';
import { EXTERNAL_MODULES } from '../../lib/oprag-function';
import { bareStack, ofType, templateOf } from './synth';

// which functions carry the layer is the stage's wiring: test/infra/functions.test.ts
describe('the document readers layer', () => {
  const stack = bareStack();
  new DocumentReadersLayer(stack, 'DocumentReaders', { stage: 'staging' });
  const { resources } = templateOf(stack);
  const layers = ofType(resources, 'AWS::Lambda::LayerVersion');

  it('is one arm64 / nodejs22.x layer', () => {
    expect(layers).toHaveLength(1);
    expect(layers[0][1].Properties).toMatchObject({
      LayerName: 'oprag-staging-document-readers',
      CompatibleRuntimes: ['nodejs22.x'],
      CompatibleArchitectures: ['arm64'],
    });
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
