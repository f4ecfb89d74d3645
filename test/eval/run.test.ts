import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RankedHit } from '../../src/eval/metrics.js';
import { runTimedQueries } from '../../src/eval/run.js';

const QUERIES = [{ id: 'q1' }, { id: 'q2' }, { id: 'q3' }];

describe('runTimedQueries', () => {
  it('runs warm-up queries untimed, then every query once, in order', async () => {
    const calls: string[] = [];
    const search = async (query: { id: string }): Promise<RankedHit[]> => {
      calls.push(query.id);
      return [{ id: `hit-of-${query.id}`, score: 1 }];
    };
    const run = await runTimedQueries(QUERIES, search, { warmupQueries: 2 });

    assert.deepEqual(calls, ['q1', 'q2', 'q1', 'q2', 'q3']);
    assert.deepEqual([...run.rankings.keys()], ['q1', 'q2', 'q3']);
    assert.deepEqual(run.rankings.get('q3'), [{ id: 'hit-of-q3', score: 1 }]);
    assert.equal(run.latenciesMs.length, 3);
    assert.ok(run.latenciesMs.every((ms) => ms >= 0));
  });

  it('measures the time each search takes', async () => {
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const run = await runTimedQueries(
      [{ id: 'slow' }, { id: 'fast' }],
      async (query) => {
        await pause(query.id === 'slow' ? 30 : 0);
        return [];
      },
      { warmupQueries: 0 },
    );
    // Timers may fire a little early or late, never 15 ms early.
    assert.ok(run.latenciesMs[0] >= 15, `slow query took ${run.latenciesMs[0]} ms`);
  });

  it('accepts a synchronous search and more warm-up queries than queries', async () => {
    const run = await runTimedQueries(QUERIES, () => [], { warmupQueries: 10 });
    assert.equal(run.rankings.size, 3);
  });

  it('rejects repeated query ids and a bad warm-up count', async () => {
    await assert.rejects(
      runTimedQueries([{ id: 'a' }, { id: 'a' }], () => []),
      {
        code: 'invalid-argument',
        parameter: 'queries[1].id',
      },
    );
    await assert.rejects(
      runTimedQueries(QUERIES, () => [], { warmupQueries: -1 }),
      {
        code: 'invalid-argument',
      },
    );
  });
});
