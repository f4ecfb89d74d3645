/**
 * Metadata equality filters. A document passes `{ lang: 'en', year: 2024 }` when its metadata has
 * a top-level field `lang` strictly equal to `'en'` AND a field `year` equal to `2024`. A missing
 * field equals nothing, not even `null`; an empty filter passes every document.
 */
import type { Metadata, MetadataFilter } from './types.js';

/** True when `metadata` satisfies every field of `filter`. */
export function matchesFilter(metadata: Metadata | undefined, filter: MetadataFilter): boolean {
  for (const [field, value] of Object.entries(filter)) {
    if (metadata === undefined || !Object.hasOwn(metadata, field)) return false;
    if (metadata[field] !== value) return false;
  }
  return true;
}
