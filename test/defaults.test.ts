import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { DEFAULTS } from '../src/defaults.js';

/** Flattens nested defaults into dotted keys: { fde: { seed: 1 } } -> { 'fde.seed': 1 }. */
function flatten(value: object, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, child] of Object.entries(value)) {
    const name = prefix + key;
    if (child && typeof child === 'object' && !Array.isArray(child)) {
      for (const [k, v] of flatten(child, `${name}.`)) out.set(k, v);
    } else out.set(name, child);
  }
  return out;
}

/** Reads the rows of docs/configuration.md whose first cell is a `key` (padded cells allowed). */
function documented(): Map<string, string> {
  const text = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  const rows = new Map<string, string>();
  for (const match of text.matchAll(/^\| `([\w.]+)` +\| `([^`]*)` +\|/gm)) {
    rows.set(match[1], match[2]);
  }
  return rows;
}

it('docs/configuration.md states every default with its value, and nothing else', () => {
  const code = flatten(DEFAULTS);
  const docs = documented();
  for (const [key, value] of code) {
    assert.ok(docs.has(key), `docs/configuration.md has no row for ${key}`);
    assert.equal(docs.get(key), JSON.stringify(value), `documented default of ${key}`);
  }
  for (const key of docs.keys()) assert.ok(code.has(key), `${key} is documented but not a default`);
});

it('DEFAULTS is frozen all the way down', () => {
  for (const value of [DEFAULTS, ...Object.values(DEFAULTS)]) {
    if (value && typeof value === 'object') assert.ok(Object.isFrozen(value));
  }
});
