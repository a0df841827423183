import type { Reply } from './types';

/** `200` with a JSON body. */
export const ok = (json: unknown): Reply => ({ status: 200, json });
/** `201` with a JSON body. */
export const created = (json: unknown): Reply => ({ status: 201, json });
/** `202` with a JSON body: the work goes on in the background. */
export const accepted = (json: unknown): Reply => ({ status: 202, json });
