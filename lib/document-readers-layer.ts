import { cpSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from './oprag-function';

/** The packages the layer carries; the functions' bundles leave them out (`externalModules`). */
export const DOCUMENT_READER_PACKAGES = ['unpdf', 'mammoth'] as const;

const LAYER_DIR = path.join(PROJECT_ROOT, 'layers', 'document-readers');

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
}

/**
 * The installed directories of some packages and everything they depend on, read from the
 * lockfile (npm's flat `node_modules/<name>` layout, with nested copies where npm put them).
 */
export function packageClosure(lockfile: string, roots: readonly string[]): string[] {
  const packages = (JSON.parse(readFileSync(lockfile, 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const found = new Set<string>();
  const visit = (name: string, from: string) => {
    // resolve like Node: nearest node_modules first, walking up from the requiring package
    let dir = from;
    for (;;) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[candidate]) {
        if (found.has(candidate)) return;
        found.add(candidate);
        for (const dep of Object.keys(packages[candidate].dependencies ?? {})) visit(dep, candidate);
        return;
      }
      if (!dir) throw new Error(`${name} is not in the lockfile; run npm ci`);
      dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '';
    }
  };
  for (const root of roots) visit(root, '');
  return [...found].sort();
}

export interface DocumentReadersLayerProps {
  readonly stage: string;
}

/**
 * The PDF (unpdf, 1.6 MB) and DOCX (mammoth) readers as a layer. They would triple every
 * function bundle, yet only the functions that ingest ever load them, and only for such files.
 * Built by copying the installed packages (no Docker, no download).
 */
export class DocumentReadersLayer extends Construct {
  readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: DocumentReadersLayerProps) {
    super(scope, id);
    const lockfile = path.join(PROJECT_ROOT, 'package-lock.json');
    const closure = packageClosure(lockfile, DOCUMENT_READER_PACKAGES);
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      layerVersionName: `oprag-${props.stage}-document-readers`,
      description: `PDF and DOCX readers: ${DOCUMENT_READER_PACKAGES.join(', ')}`,
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      code: lambda.Code.fromAsset(LAYER_DIR, {
        bundling: {
          image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
          local: {
            tryBundle(outputDir: string) {
              for (const dir of closure) {
                cpSync(path.join(PROJECT_ROOT, dir), path.join(outputDir, 'nodejs', dir), { recursive: true });
              }
              return true;
            },
          },
        },
      }),
    });
  }
}
