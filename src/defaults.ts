/**
 * Every default of the library in one frozen object. Code reads its defaults from here, and
 * test/defaults.test.ts checks that docs/configuration.md states the same values.
 */

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export const DEFAULTS = deepFreeze({
  /** Logging: see src/log.ts. */
  logLevel: 'warn',
});

export type Defaults = typeof DEFAULTS;
