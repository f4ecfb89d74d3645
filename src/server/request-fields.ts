/**
 * Library errors name the library's parameters (`query`, `docs[2].tokens`, `options.candidates`);
 * a user reads them against what they wrote: a request field (`vectors`, `documents[2].vectors`,
 * `candidates`) or a command-line flag (`--candidates`). These functions rename the parameter of
 * an error, and the name at the start of its message, without changing its code.
 *
 * Who renames what: the shared operations (src/server/operations.ts) know which request field fed
 * which library argument (`query` came from `vectors` or `text`); each front end then renames the
 * rest in the one place it reports errors: the HTTP error handler drops `options.` and writes
 * paths with dots (`documents.2.vectors.0`, as schema failures are named), the CLI turns request
 * fields into flags (src/cli/main.ts).
 */
import { isMuveraError, MuveraError } from '../errors.js';

/** A new name for a parameter, or undefined to keep it. */
export type Rename = (parameter: string) => string | undefined;

/** Prefix of the library's search and creation options (`options.k`, `options.fde`). */
const OPTIONS_PREFIX = 'options.';

/**
 * `error` with its parameter renamed by `rename`, the old name at the start of its message
 * replaced too; anything else (another error, no parameter, no new name) comes back as it was.
 * The renamed error keeps code, expected, actual, remedy, file and offset, and wraps the original.
 */
export function renameParameter(error: unknown, rename: Rename): unknown {
  if (!isMuveraError(error) || error.parameter === undefined) return error;
  const from = error.parameter;
  const to = rename(from);
  if (to === undefined || to === from) return error;

  const { code, remedy, expected, actual, file, offset } = error;
  // The constructor appends the remedy to the message: take it off so it is not added twice.
  const suffix = remedy ? `. ${remedy}` : '';
  const base =
    suffix && error.message.endsWith(suffix)
      ? error.message.slice(0, -suffix.length)
      : error.message;
  const message = startsWithName(base, from) ? to + base.slice(from.length) : base;
  return new MuveraError(code, message, {
    parameter: to,
    expected,
    actual,
    remedy,
    file,
    offset,
    cause: error,
  });
}

/** True when `text` starts with `name` as a whole name (`k must`, not `kind`). */
function startsWithName(text: string, name: string): boolean {
  return text.startsWith(name) && !/^\w/.test(text.slice(name.length));
}

/** `options.candidates` -> `candidates`: search and creation options are top-level fields. */
export function withoutOptionsPrefix(parameter: string): string | undefined {
  return parameter.startsWith(OPTIONS_PREFIX) ? parameter.slice(OPTIONS_PREFIX.length) : undefined;
}

/** `documents[3].vectors[0]` -> `documents.3.vectors.0`, the form of schema failure paths. */
export function dottedPath(parameter: string): string {
  return parameter.replace(/\[(\d+)\]/g, '.$1');
}

/** Renames the library's `query` to the request field the query came from. */
export function queryField(field: 'vectors' | 'text'): Rename {
  return (parameter) => {
    const name = 'query';
    return startsWithName(parameter, name) ? field + parameter.slice(name.length) : undefined;
  };
}

/** How a front end names field `field` of document `index` of a batch. */
export type FieldNamer = (index: number, field: string) => string;

/** Fields of a batch named as a JSON request does: `documents[3].vectors`. */
export function batchField(batch: string): FieldNamer {
  return (index, field) => `${batch}[${index}].${field}`;
}

/**
 * Renames the library's `docs[i].tokens` to the field document i came with (`vectors` or
 * `text`) and `docs[i].<field>` to that field of document i, both named by `fieldOf`.
 */
export function documentFields(
  hasVectors: (index: number) => boolean,
  fieldOf: FieldNamer,
): Rename {
  return (parameter) => {
    const match = /^docs\[(\d+)\]\.(\w+)(.*)$/.exec(parameter);
    if (!match) return undefined;
    const index = Number(match[1]);
    const field = match[2] === 'tokens' ? (hasVectors(index) ? 'vectors' : 'text') : match[2];
    return fieldOf(index, field) + match[3];
  };
}
