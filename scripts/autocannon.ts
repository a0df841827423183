/**
 * autocannon ships no types, and nothing else may be installed: the part the load scripts use
 * (load-chat.ts, bench-scale.ts), typed once.
 */
export interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
}
export interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
export interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', fn: (client: object, status: number, bytes: number, ms: number) => void): void;
  on(event: 'reqError', fn: (error: Error) => void): void;
  stop(): void;
}
export const autocannon = require('autocannon') as (opts: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: AutocannonRequest[];
}) => AutocannonInstance;
