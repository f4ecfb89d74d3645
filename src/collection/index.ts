export { Collection, type OpenOptions, type RebuildOptions } from './collection.js';
export { matchesFilter } from './filter.js';
export type { Durability } from './storage.js';
export type * from './types.js';
export { STRATEGIES } from './validate.js';
