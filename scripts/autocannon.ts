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

/**
 * The measured window of a saturation run: it opens once every one of `connections` has had an
 * answer (the ramp-up over), or after `rampLimitS` at the latest, and closes `durationS` later,
 * stopping autocannon. `open` (given how many connections had answered) and `close` are called at
 * its edges; each answer goes to `answer`. Resolves, once the window has closed, to how many
 * connections had an answer by then.
 */
export function measuredWindow(
  instance: AutocannonInstance,
  o: {
    connections: number;
    durationS: number;
    rampLimitS: number;
    open: (answered: number) => void;
    close: () => void;
    answer?: (status: number, ms: number) => void;
  },
): Promise<number> {
  return new Promise<number>((done) => {
    const answered = new Set<object>();
    let opened = false;
    const begin = () => {
      if (opened) return;
      opened = true;
      o.open(answered.size);
      setTimeout(() => {
        o.close();
        instance.stop();
        done(answered.size);
      }, o.durationS * 1000);
    };
    instance.on('response', (client, status, _bytes, ms) => {
      o.answer?.(status, ms);
      answered.add(client);
      if (answered.size === o.connections) begin();
    });
    setTimeout(begin, o.rampLimitS * 1000);
  });
}
