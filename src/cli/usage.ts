/**
 * Usage rules citty leaves to the program: unknown flags are refused (citty ignores them, so a
 * typo like `--candidate 500` would silently search with the default), a flag that takes a value
 * must get one, errors name flags as the user typed them, and every command's help ends with
 * examples.
 *
 * NOTE: citty reads `--host` at the end of the line, `--host=` and `--host ''` as the empty
 * string, and `--host --port 8080` as host `--port` (leaving `8080` a positional argument). An
 * empty host would then listen on every interface; so a valued flag followed by nothing, by an
 * empty string or by another known flag is a usage error.
 */
import type { ArgDef, ArgsDef } from 'citty';
import { type Rename, withoutOptionsPrefix } from '../server/request-fields.js';

/** A command line that does not fit the command: exit code EXIT_USAGE. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const ALWAYS_KNOWN = new Set(['--help', '-h']);

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Example values for valued flags that have no default to show. */
const VALUE_EXAMPLES: Record<string, string> = {
  encoder: 'static:data/encoders/fasttext-skipgram128',
};

/** `--host needs a value, e.g. 127.0.0.1`: an example from the default, options or a known one. */
function needsValue(flag: string, name: string, def: ArgDef): UsageError {
  const options = def.type === 'enum' ? (def.options ?? []) : [];
  const fallback = typeof def.default === 'string' && def.default !== '' ? def.default : undefined;
  const example = options.length > 0 ? options.join(', ') : (fallback ?? VALUE_EXAMPLES[name]);
  const hint = options.length > 0 ? `: one of ${example}` : example ? `, e.g. ${example}` : '';
  return new UsageError(`${flag} needs a value${hint}`);
}

/**
 * Throws {@link UsageError} for a flag `args` does not define, and for a valued flag given no
 * value (see the module comment).
 */
export function checkFlags(rawArgs: string[], args: ArgsDef): void {
  const valued = new Map<string, [name: string, def: ArgDef]>();
  const known = new Set(ALWAYS_KNOWN);
  for (const [name, def] of Object.entries(args)) {
    if (def.type === 'positional') continue;
    const aliases = [(def as { alias?: string | string[] }).alias ?? []].flat();
    const flags = [
      ...[name, camel(name)].map((spelling) => `--${spelling}`),
      ...aliases.map((alias) => (alias.length === 1 ? `-${alias}` : `--${alias}`)),
    ];
    for (const flag of flags) {
      known.add(flag);
      if (def.type === 'boolean') known.add(flag.replace(/^--/, '--no-'));
      else valued.set(flag, [name, def]);
    }
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === '--') return;
    if (!arg.startsWith('-') || arg === '-') continue;
    const [flag] = arg.split('=');
    if (!known.has(flag)) throw new UsageError(`unknown flag ${flag}`);
    const valuedFlag = valued.get(flag);
    if (!valuedFlag) continue;

    const value = arg.includes('=') ? arg.slice(flag.length + 1) : rawArgs[++i];
    if (value === undefined || value === '' || known.has(value.split('=')[0])) {
      throw needsValue(flag, ...valuedFlag);
    }
  }
}

/**
 * Names a request field or library option by the command's flag: `candidates` and
 * `options.candidates` become `--candidates`, `vectors[0]` `--vectors[0]`, `options.index.kind`
 * `--index`. Names that are no flag of the command are kept.
 */
export function flagNames(args: ArgsDef): Rename {
  return (parameter) => {
    const [head] = (withoutOptionsPrefix(parameter) ?? parameter).split('.');
    const name = head.replace(/\[.*$/, '');
    const def = Object.hasOwn(args, name) ? args[name] : undefined;
    return def && def.type !== 'positional' ? `--${head}` : undefined;
  };
}

const STATIC = 'static:data/encoders/fasttext-skipgram128';

/** Examples shown at the end of each command's --help. */
export const EXAMPLES: Record<string, string[]> = {
  muvera: [
    `muvera index .data/scifact --corpus data/scifact --encoder ${STATIC}`,
    'muvera search .data/scifact "does aspirin prevent stroke" --explain',
    'muvera serve .data/scifact',
  ],
  index: [
    '# a BEIR folder (reads corpus.jsonl), text encoded with the bundled static encoder',
    `muvera index .data/scifact --corpus data/scifact --encoder ${STATIC}`,
    '# run it again after an interruption: stored ids are skipped, not re-encoded',
    `muvera index .data/scifact --corpus data/scifact`,
    '# precomputed token vectors: one {"id", "vectors": [[...], ...]} object a line',
    'muvera index .data/mine --corpus vectors.jsonl --dim 128',
  ],
  search: [
    'muvera search .data/scifact "does aspirin prevent stroke"',
    'muvera search .data/scifact "vitamin d and bone density" --k 5 --explain --stats',
    'muvera search .data/scifact "statins" --strategy exact --json',
    'muvera search .data/notes "deadline" --candidates 500 --filter project=apollo --filter year=2024',
    'muvera search .data/mine --vectors query.json',
  ],
  serve: [
    'muvera serve .data/scifact',
    'MUVERA_API_KEY=secret muvera serve --data-dir .data --port 8080',
    'muvera serve .data/scifact .data/cranfield --host 0.0.0.0 --api-key "$KEY"',
  ],
  info: ['muvera info .data/scifact', 'muvera info .data/scifact --json'],
  delete: ['muvera delete .data/scifact 4983 5836', 'muvera delete .data/scifact 4983 --json'],
  migrate: [
    "muvera migrate .data/scifact 'postgres://user@db:5432/search?collection=scifact'",
    "muvera migrate 'postgres://user@db:5432/search?collection=scifact' .data/scifact-copy",
    "muvera migrate .data/scifact 'postgres://localhost/search?collection=scifact' --fde compact",
  ],
  eval: [
    `muvera eval --dataset data/scifact --encoder ${STATIC}`,
    'muvera eval --dataset data/scifact --collection .data/scifact --strategy exact --json',
    'muvera eval --dataset data/scifact --collection .data/scifact --sweep candidates=50,100,200,400 --plot sweep.svg',
  ],
};
