import { apiHandler } from './api';

/** API Gateway entry of the documents function (its routes are mapped in lib/). */
export const handler = apiHandler();
