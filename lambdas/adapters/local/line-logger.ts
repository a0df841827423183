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

/** The embedded home's Logger: one JSON line per event (time, level, message, fields). */
export function lineLogger(opts: LineLoggerOptions = {}, bound: LogFields = {}): Logger {
  const min = LEVELS.indexOf(opts.level ?? logLevelFromEnv());
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
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
