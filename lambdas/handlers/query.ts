import { apiHandler } from './api';

/** API Gateway entry of the query function (its routes are mapped in lib/). */
export const handler = apiHandler();
