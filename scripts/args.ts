/** The command line of a measurement script: `--name value` options and `--name` flags. */

export const argv = process.argv.slice(2);

/** The value after `--name`, or the fallback when the option is absent (or has no value). */
export function option(name: string): string | undefined;
export function option(name: string, fallback: string): string;
export function option(name: string, fallback?: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

/** Whether `--name` was given. */
export const flag = (name: string) => argv.includes(`--${name}`);
