import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogFields, Logger } from '../../ports';

/** The Logger port on Powertools Logger: its JSON lines, with the Lambda context it was given. */
export function powertoolsLogger(logger: PowertoolsLogger = new PowertoolsLogger(), bound: LogFields = {}): Logger {
  const line = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) =>
    logger[level](message, { ...bound, ...fields });
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    with: (fields) => powertoolsLogger(logger, { ...bound, ...fields }),
  };
}
