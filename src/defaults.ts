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
  /** Storage files (segments, manifest, log): see src/store/ and docs/storage.md. */
  store: {
    /** A token segment is closed and a new one started before it would exceed this size. */
    maxSegmentBytes: 268435456,
    /** Token segment writers gather this many bytes before each write call. */
    writeBufferBytes: 1048576,
    /** Check every block checksum of a token segment when it is opened. */
    verifyOnOpen: true,
    /** Largest manifest a reader accepts. */
    maxManifestBytes: 16777216,
    /** Manifest generations kept on disk (the newest and the ones before it). */
    manifestGenerationsKept: 2,
    /** Largest write-ahead log record payload a writer writes or a reader accepts. */
    maxLogRecordBytes: 268435456,
  },
});

export type Defaults = typeof DEFAULTS;
