import type { LogFields, Logger } from '../../ports';

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface LineLoggerOptions {
  /**
   * Lines below it are dropped. By default OPRAG_LOG_LEVEL, else `info`; `silent` under tests
   * (NODE_ENV=test) unless OPRAG_LOG_LEVEL asks for lines.
   */
  level?: LogLevel;
  /** Where each line goes; stderr by default. */
  write?: (line: string) => void;
}

/** The level OPRAG_LOG_LEVEL names, `silent` under tests, else `info`. */
export function logLevelFromEnv(env: Record<string, string | undefined> = process.env): LogLevel {
  const asked = env.OPRAG_LOG_LEVEL?.trim().toLowerCase();
  if (asked && (LEVELS as readonly string[]).includes(asked)) return asked as LogLevel;
  return env.NODE_ENV === 'test' ? 'silent' : 'info';
}

/** Errors as their name, message and stack (JSON.stringify would write `{}`). */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Lines waiting for the end of this turn, and whether the process's exit writes what is left. */
let stderrLines: string[] = [];
let flushOnExit = false;

function flushStderr() {
  if (stderrLines.length === 0) return;
  const text = `${stderrLines.join('\n')}\n`;
  stderrLines = [];
  process.stderr.write(text);
}

/**
 * A line for stderr, written with the others of this turn of the event loop at its end: one
 * write for a turn's lines rather than one each (stderr is written synchronously, a system call
 * a line: under load, the access log's lines alone cost a request 50 µs). What is left is
 * written before the process exits.
 */
export function toStderr(line: string): void {
  if (stderrLines.push(line) > 1) return;
  if (!flushOnExit) {
    flushOnExit = true;
    process.on('exit', flushStderr);
  }
  setImmediate(flushStderr);
}

/** The embedded home's Logger: one JSON line per event (time, level, message, fields). */
export function lineLogger(opts: LineLoggerOptions = {}, bound: LogFields = {}): Logger {
  const min = LEVELS.indexOf(opts.level ?? logLevelFromEnv());
  const write = opts.write ?? toStderr;
  const line = (level: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (LEVELS.indexOf(level) < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...bound, ...fields }, replacer));
  };
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    with: (fields) => lineLogger({ ...opts, level: LEVELS[min], write }, { ...bound, ...fields }),
  };
}
