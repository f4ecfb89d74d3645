/**
 * What every command runs with: where results and diagnostics go, and the engine. The real CLI
 * writes to process.stdout and process.stderr with the embedded engine; tests pass their own to
 * capture the output and run in-process.
 */
import type { Writable } from 'node:stream';
import { invalidArgument } from '../errors.js';
import type { Engine } from '../server/engine.js';

/** Output streams and engine of one CLI run. */
export interface CliContext {
  /** Results (tables, JSON). */
  out: Writable;
  /** Progress and diagnostics. */
  err: Writable;
  engine: Engine;
  /** The package version, reported by the server. */
  version: string;
  /** The command's own arguments (after the command name), for repeatable flags. */
  rawArgs: string[];
  /** Resolves when the user asks to stop (Ctrl-C, SIGTERM); `serve` waits on it. */
  interrupted(): Promise<void>;
}

/** Writes one line of results. */
export function println(context: CliContext, line = ''): void {
  context.out.write(`${line}\n`);
}

/** Parses an integer flag in `[min, max]`; undefined when the flag was not given. */
export function intFlag(
  value: unknown,
  flag: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw invalidArgument(`--${flag}`, range, value);
  }
  return number;
}

/** Parses `key=value` filter flags (`year=2021` is a number, `year="2021"` a string). */
export function filterFlags(
  values: string[],
): Record<string, string | number | boolean | null> | undefined {
  if (values.length === 0) return undefined;
  const filter: Record<string, string | number | boolean | null> = {};
  for (const item of values) {
    const at = item.indexOf('=');
    if (at <= 0) throw invalidArgument('--filter', 'key=value', item);
    filter[item.slice(0, at)] = typedValue(item.slice(at + 1));
  }
  return filter;
}

/** A value that reads as a JSON number, boolean, null or quoted string is typed; else text. */
function typedValue(text: string): string | number | boolean | null {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      return value as string | number | boolean | null;
    }
  } catch {
    // Not JSON: the text itself.
  }
  return text;
}

/** Every value of a repeatable string flag (`--filter a=1 --filter b=2`). */
export function repeated(rawArgs: string[], flag: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === `--${flag}` && i + 1 < rawArgs.length) values.push(rawArgs[++i]);
    else if (arg.startsWith(`--${flag}=`)) values.push(arg.slice(flag.length + 3));
  }
  return values;
}
