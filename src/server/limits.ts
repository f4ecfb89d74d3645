/** The caps a server enforces on every request; defaults in DEFAULTS.server. */
import { DEFAULTS } from '../defaults.js';

/** Request caps of the HTTP server. */
export interface ServerLimits {
  /** Largest request body, in bytes; a larger one is refused with 413 before it is parsed. */
  bodyLimitBytes: number;
  /** Largest `k` a search may ask for. */
  maxK: number;
  /** Largest `candidates` a search may ask for. */
  maxCandidates: number;
  /** Most documents (or ids) in one upsert (or delete) request. */
  maxDocumentsPerRequest: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  bodyLimitBytes: DEFAULTS.server.bodyLimitBytes,
  maxK: DEFAULTS.server.maxK,
  maxCandidates: DEFAULTS.server.maxCandidates,
  maxDocumentsPerRequest: DEFAULTS.server.maxDocumentsPerRequest,
});
