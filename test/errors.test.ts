import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT_CODES } from '../src/cli/exit-codes.js';
import { ERROR_CODES, invalidArgument, isMuveraError, MuveraError } from '../src/errors.js';
import { setLogLevel } from '../src/log.js';

describe('MuveraError', () => {
  it('carries code, parameter, expected and actual, and serialises them', () => {
    const error = invalidArgument('options.k', 'a positive integer', -3, 'pass k >= 1');
    assert.equal(error.code, 'invalid-argument');
    assert.equal(error.message, 'options.k must be a positive integer, got -3. pass k >= 1');
    assert.deepEqual(error.toJSON(), {
      code: 'invalid-argument',
      message: error.message,
      parameter: 'options.k',
      expected: 'a positive integer',
      actual: -3,
      remedy: 'pass k >= 1',
    });
    assert.ok(isMuveraError(error, 'invalid-argument'));
    assert.ok(!isMuveraError(error, 'not-found'));
    assert.ok(!isMuveraError(new Error('x')));
  });

  it('wraps a lower failure as its cause', () => {
    const low = new Error('EIO');
    const error = new MuveraError('io-error', 'writing the log failed', { cause: low });
    assert.equal(error.cause, low);
  });

  it('maps every code to an exit code', () => {
    for (const code of ERROR_CODES) assert.equal(typeof EXIT_CODES[code], 'number', code);
  });

  it('refuses an unknown log level with a coded error', () => {
    assert.throws(() => setLogLevel('loud' as never), { code: 'invalid-argument' });
  });
});
