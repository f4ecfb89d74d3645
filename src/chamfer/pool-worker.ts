/** A Chamfer pool worker: scores the share of documents it is sent and replies with scores. */
import { parentPort } from 'node:worker_threads';
import { MuveraError } from '../errors.js';
import {
  getChamferKernelChoice,
  getKernel,
  type KernelChoice,
  setChamferKernel,
} from './kernel.js';
import type { PoolReply, PoolRequest } from './pool.js';
import { batchSize, scoreRange } from './score.js';

function handle(request: PoolRequest): PoolReply {
  const { id, kernel, query, dim, docs, labelBase } = request;
  try {
    if (getChamferKernelChoice() !== kernel) setChamferKernel(kernel as KernelChoice);
    const count = batchSize(docs, dim);
    const scores = new Float32Array(count);
    getKernel().setQuery(query, dim);
    scoreRange(docs, dim, 0, count, scores, 0, labelBase);
    return { id, scores };
  } catch (error) {
    const known = error instanceof MuveraError;
    const code = known ? error.code : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    return { id, error: { code, message, parameter: known ? error.parameter : undefined } };
  }
}

parentPort?.on('message', (request: PoolRequest) => {
  const reply = handle(request);
  parentPort?.postMessage(reply, reply.scores ? [reply.scores.buffer as ArrayBuffer] : []);
});
