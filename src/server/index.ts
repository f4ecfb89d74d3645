export { createApp, OPENAPI_PATH } from './app.js';
export { Catalog, type CollectionSummary, checkCollectionName } from './catalog.js';
export { embeddedEngine } from './embedded-engine.js';
export type { Engine, OpenedCollection } from './engine.js';
export { DEFAULT_LIMITS, type ServerLimits } from './limits.js';
export { type RunningServer, type ServerOptions, startServer } from './serve.js';
export { HTTP_STATUS } from './status-codes.js';
