import { apiHandler } from './api';

/** API Gateway entry of the control function (its routes are mapped in lib/). */
export const handler = apiHandler();
