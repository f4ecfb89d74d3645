/** An FDE pool worker: rebuilds the encoder from its config and encodes the shares it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { MuveraError } from '../errors.js';
import { FdeEncoder } from './encoder.js';
import type { FdePoolReply, FdePoolRequest } from './pool.js';

const encoder = FdeEncoder.fromJSON(workerData);

function handle(request: FdePoolRequest): FdePoolReply {
  const { id, data, offsets, kind } = request;
  try {
    return { id, vectors: encoder.encodeBatch(data, offsets, kind).vectors };
  } catch (error) {
    const known = error instanceof MuveraError;
    const code = known ? error.code : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    return { id, error: { code, message } };
  }
}

parentPort?.on('message', (request: FdePoolRequest) => {
  const reply = handle(request);
  parentPort?.postMessage(reply, reply.vectors ? [reply.vectors.buffer as ArrayBuffer] : []);
});
