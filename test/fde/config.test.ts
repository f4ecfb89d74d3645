import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS } from '../../src/defaults.js';
import {
  FDE_FORMAT_VERSION,
  FDE_PRESET_NAMES,
  FDE_PRESETS,
  FdeEncoder,
  fdePreset,
  MAX_FDE_DIMENSION,
} from '../../src/fde/index.js';

const BASE = {
  dim: 8,
  numRepetitions: 2,
  numSimhashProjections: 3,
  projection: 'identity',
} as const;

describe('FDE presets', () => {
  it('have the documented sizes', () => {
    const sizes = Object.fromEntries(
      FDE_PRESET_NAMES.map((name) => [name, FdeEncoder.fromPreset(name, 128).outputDimension]),
    );
    assert.deepEqual(sizes, {
      paper: 10240,
      weaviate: 2560,
      milvus: 1792,
      compact: 2000,
      sparse: 10240,
    });
    assert.ok(FdeEncoder.fromPreset('compact', 96).outputDimension <= 2000);
    assert.ok(FDE_PRESET_NAMES.includes(DEFAULTS.collection.fde as never));
    assert.ok(FDE_PRESET_NAMES.includes(DEFAULTS.postgres.fde as never));
  });

  it('are frozen, and overrides apply last', () => {
    assert.ok(Object.isFrozen(FDE_PRESETS));
    assert.ok(Object.isFrozen(FDE_PRESETS.paper));
    assert.throws(() => {
      (FDE_PRESETS.paper as { numRepetitions: number }).numRepetitions = 3;
    }, TypeError);
    const config = fdePreset('weaviate', 64, { seed: 9, numRepetitions: 3 });
    assert.equal(config.seed, 9);
    assert.equal(new FdeEncoder(config).outputDimension, 3 * 16 * 16);
  });

  it('refuses an unknown preset name', () => {
    assert.throws(() => fdePreset('nope', 128), { code: 'invalid-argument', parameter: 'preset' });
  });
});

describe('FDE config', () => {
  it('serialises to JSON with a format version, and fromJSON reproduces the same FDEs', () => {
    const encoder = FdeEncoder.fromPreset('compact', 5, { seed: 11 });
    const json = JSON.stringify(encoder.config);
    assert.equal(JSON.parse(json).formatVersion, FDE_FORMAT_VERSION);
    const rebuilt = FdeEncoder.fromJSON(json);
    assert.equal(rebuilt.fingerprint, encoder.fingerprint);
    assert.deepEqual(rebuilt.config, encoder.config);
    const tokens = Float32Array.from({ length: 5 * 9 }, (_, i) => Math.sin(i * 1.7));
    assert.deepEqual(rebuilt.encodeDocument(tokens), encoder.encodeDocument(tokens));
    assert.deepEqual(rebuilt.encodeQuery(tokens), encoder.encodeQuery(tokens));
    assert.equal(JSON.stringify(encoder), json);
  });

  it('fills defaults from DEFAULTS.fde and ignores projectionDimension for identity', () => {
    const { config } = new FdeEncoder({ ...BASE, projectionDimension: 4 });
    assert.equal(config.seed, DEFAULTS.fde.seed);
    assert.equal(config.fillEmptyPartitions, DEFAULTS.fde.fillEmptyPartitions);
    assert.equal(config.finalProjectionDimension, DEFAULTS.fde.finalProjectionDimension);
    assert.equal(config.projectionDimension, null);
    assert.ok(Object.isFrozen(config));
  });

  it('has a stable fingerprint that changes with every field', () => {
    const encoder = FdeEncoder.fromPreset('paper', 128);
    assert.equal(encoder.fingerprint, 'fde1-841770406e0122bb');
    const variants: Record<string, unknown>[] = [
      { seed: 43 },
      { numRepetitions: 19 },
      { numSimhashProjections: 4 },
      { projection: 'sparse' },
      { projectionDimension: 8 },
      { fillEmptyPartitions: false },
      { finalProjectionDimension: 1000 },
    ];
    const prints = new Set([encoder.fingerprint]);
    for (const change of variants)
      prints.add(FdeEncoder.fromPreset('paper', 128, change).fingerprint);
    prints.add(FdeEncoder.fromPreset('paper', 96).fingerprint);
    assert.equal(prints.size, variants.length + 2);
  });

  it('refuses a query encoder whose config differs from the document encoder', () => {
    const documents = FdeEncoder.fromPreset('paper', 128);
    const queries = FdeEncoder.fromPreset('paper', 128, { seed: 7 });
    assert.throws(() => documents.assertCompatible(queries, 'query encoder vs index'), {
      code: 'config-mismatch',
      parameter: 'seed',
      message: /query encoder vs index differs: seed 7 \(expected 42\)/,
    });
    documents.assertCompatible(FdeEncoder.fromJSON(JSON.stringify(documents.config)));
    documents.assertCompatible(documents.toJSON());
  });

  it('refuses a config written by a newer format version, and bad JSON', () => {
    const newer = { ...FdeEncoder.fromPreset('paper', 4).config, formatVersion: 99 };
    assert.throws(() => FdeEncoder.fromJSON(newer), { code: 'unsupported-version' });
    assert.throws(() => FdeEncoder.fromJSON('{"dim":'), { code: 'parse-error' });
  });
});

describe('FDE config errors', () => {
  const bad: [string, Record<string, unknown>, string][] = [
    ['dim 0', { dim: 0 }, 'invalid-argument'],
    ['dim negative', { dim: -3 }, 'invalid-argument'],
    ['dim fractional', { dim: 2.5 }, 'invalid-argument'],
    ['numRepetitions 0', { numRepetitions: 0 }, 'invalid-argument'],
    ['numSimhashProjections -1', { numSimhashProjections: -1 }, 'invalid-argument'],
    ['numSimhashProjections 31', { numSimhashProjections: 31 }, 'invalid-argument'],
    [
      'numSimhashProjections 30 (over the output cap)',
      { numSimhashProjections: 30 },
      'limit-exceeded',
    ],
    ['output above the cap', { numSimhashProjections: 16, numRepetitions: 40 }, 'limit-exceeded'],
    ['unknown projection', { projection: 'gaussian' }, 'invalid-argument'],
    ['dense without projectionDimension', { projection: 'dense' }, 'invalid-argument'],
    ['sparse without projectionDimension', { projection: 'sparse' }, 'invalid-argument'],
    ['final dimension 0', { finalProjectionDimension: 0 }, 'invalid-argument'],
    [
      'final dimension above the cap',
      { finalProjectionDimension: MAX_FDE_DIMENSION + 1 },
      'limit-exceeded',
    ],
    ['seed negative', { seed: -1 }, 'invalid-argument'],
    ['seed above 2^32-1', { seed: 2 ** 32 }, 'invalid-argument'],
    ['fill not boolean', { fillEmptyPartitions: 'yes' }, 'invalid-argument'],
  ];
  for (const [name, change, code] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => new FdeEncoder({ ...BASE, ...change } as never), { code });
    });
  }

  it('names the parameter and the remedy', () => {
    assert.throws(() => new FdeEncoder({ ...BASE, projection: 'dense' }), {
      parameter: 'config.projectionDimension',
      message: /projectionDimension must be a positive integer, got undefined\. dense and sparse/,
    });
  });

  it('accepts k = 0 (one partition) and awkward dims', () => {
    assert.equal(new FdeEncoder({ ...BASE, numSimhashProjections: 0 }).outputDimension, 2 * 8);
    for (const dim of [1, 3, 97]) {
      assert.equal(new FdeEncoder({ ...BASE, dim }).outputDimension, 2 * 8 * dim);
    }
  });
});
