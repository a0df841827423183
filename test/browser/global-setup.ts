import { buildDashboard } from '../../dashboard/build';

/** The browser tests drive the built dashboard: build it once (kept when its sources are unchanged). */
export default async function globalSetup(): Promise<void> {
  await buildDashboard(undefined, { ifChanged: true });
}
