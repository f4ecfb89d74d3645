/**
 * Writes a tiny BERT-shaped ONNX model for tests, by encoding the ONNX protobuf by hand.
 *
 * The graph is `last_hidden_state = Gather(embedding, input_ids) x hidden` with
 * `embedding` (vocabSize x embedDim) and `hidden` (embedDim x hiddenSize): a token's output depends
 * only on its id, so the tests can compute the expected vectors without running the model.
 * The inputs `attention_mask` and `token_type_ids` are declared (transformers.js feeds them to a
 * BERT model) and unused.
 *
 * Protobuf wire format: each field is a varint key `(fieldNumber << 3) | wireType`, then a varint
 * (wire type 0) or a varint length and that many bytes (wire type 2). Field numbers are those of
 * onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, TypeProto).
 */

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const ONNX_FLOAT = 1;
const ONNX_INT64 = 7;
const IR_VERSION = 8;
const OPSET_VERSION = 14;

type Bytes = Uint8Array;

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

function concat(parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function intField(field: number, value: number): Bytes {
  return Uint8Array.from([...varint((field << 3) | WIRE_VARINT), ...varint(value)]);
}

function bytesField(field: number, payload: Bytes | string): Bytes {
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return concat([
    Uint8Array.from([...varint((field << 3) | WIRE_BYTES), ...varint(body.length)]),
    body,
  ]);
}

/** TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian). */
function tensor(name: string, dims: number[], values: Float32Array): Bytes {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return concat([
    ...dims.map((dim) => intField(1, dim)),
    intField(2, ONNX_FLOAT),
    bytesField(8, name),
    bytesField(9, raw),
  ]);
}

/** ValueInfoProto with TypeProto.Tensor of symbolic dims (dim_param) and fixed dims. */
function valueInfo(name: string, elemType: number, dims: (string | number)[]): Bytes {
  const shapeDims = dims.map((dim) =>
    bytesField(1, typeof dim === 'string' ? bytesField(2, dim) : intField(1, dim)),
  );
  const tensorType = concat([intField(1, elemType), bytesField(2, concat(shapeDims))]);
  return concat([bytesField(1, name), bytesField(2, bytesField(1, tensorType))]);
}

/** NodeProto: input (1), output (2), name (3), op_type (4). */
function node(op: string, inputs: string[], outputs: string[]): Bytes {
  return concat([
    ...inputs.map((input) => bytesField(1, input)),
    ...outputs.map((output) => bytesField(2, output)),
    bytesField(3, `${op}_0`),
    bytesField(4, op),
  ]);
}

/** Weights of the tiny model: `embedding` is vocabSize x embedDim, `hidden` embedDim x hiddenSize. */
export interface TinyModelWeights {
  vocabSize: number;
  embedDim: number;
  hiddenSize: number;
  embedding: Float32Array;
  hidden: Float32Array;
}

/** The bytes of `model.onnx` for the given weights. */
export function tinyOnnxModel(weights: TinyModelWeights): Uint8Array {
  const { vocabSize, embedDim, hiddenSize } = weights;
  const batchSeq = ['batch_size', 'sequence_length'];
  const graph = concat([
    bytesField(1, node('Gather', ['embedding', 'input_ids'], ['embedded'])),
    bytesField(1, node('MatMul', ['embedded', 'hidden'], ['last_hidden_state'])),
    bytesField(2, 'tiny-bert'),
    bytesField(5, tensor('embedding', [vocabSize, embedDim], weights.embedding)),
    bytesField(5, tensor('hidden', [embedDim, hiddenSize], weights.hidden)),
    bytesField(11, valueInfo('input_ids', ONNX_INT64, batchSeq)),
    bytesField(11, valueInfo('attention_mask', ONNX_INT64, batchSeq)),
    bytesField(11, valueInfo('token_type_ids', ONNX_INT64, batchSeq)),
    bytesField(12, valueInfo('last_hidden_state', ONNX_FLOAT, [...batchSeq, hiddenSize])),
  ]);
  const opset = concat([bytesField(1, ''), intField(2, OPSET_VERSION)]);
  return concat([
    intField(1, IR_VERSION),
    bytesField(2, 'muvera-tests'),
    bytesField(7, graph),
    bytesField(8, opset),
  ]);
}
