#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { DASHBOARD_BUILD_DIR } from '../lib/dashboard-hosting';
import { addOpragStage } from '../lib/oprag-app';

const BUILD_SCRIPT = path.join(__dirname, '..', 'dashboard', 'build.ts');

type BuildDashboard = (outDir?: string, opts?: { ifChanged?: boolean }) => Promise<unknown>;

/**
 * Builds the dashboard into dist/dashboard unless the build there is already of the current
 * sources, so a synthesized stage deploys the current dashboard. Without the build script the
 * stage deploys a placeholder page (lib/dashboard-hosting.ts); a failing build fails the synthesis.
 */
async function ensureDashboardBuilt(): Promise<void> {
  if (!fs.existsSync(BUILD_SCRIPT)) return;
  // resolved at run time: the build script is not part of the CDK app's own sources
  const { buildDashboard } = require(BUILD_SCRIPT) as { buildDashboard: BuildDashboard };
  await buildDashboard(DASHBOARD_BUILD_DIR, { ifChanged: true });
  if (!fs.existsSync(path.join(DASHBOARD_BUILD_DIR, 'index.html'))) {
    throw new Error(`building the dashboard left no index.html in ${DASHBOARD_BUILD_DIR}`);
  }
}

ensureDashboardBuilt().then(
  // one stage per synth: `-c stage=staging` (default) or `-c stage=production`
  () => addOpragStage(new App()),
  (e) => {
    console.error(`could not build the dashboard: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
