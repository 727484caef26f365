/**
 * Writes tiny ONNX models for tests, by hand-encoding the few protobuf messages needed
 * (ModelProto → GraphProto → NodeProto / TensorProto / ValueInfoProto). The models are
 * real files that onnxruntime loads and runs; they let a test feed the detector an output
 * tensor whose boxes it knows exactly.
 */

/** Protobuf wire types used here. */
const VARINT = 0;
const LENGTH_DELIMITED = 2;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return bytes;
}

function key(field: number, wireType: number): number[] {
  return varint((field << 3) | wireType);
}

function intField(field: number, value: number): number[] {
  return [...key(field, VARINT), ...varint(value)];
}

function bytesField(field: number, payload: ArrayLike<number>): number[] {
  return [...key(field, LENGTH_DELIMITED), ...varint(payload.length), ...Array.from(payload)];
}

function stringField(field: number, text: string): number[] {
  return bytesField(field, new TextEncoder().encode(text));
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

/** ValueInfoProto for a float tensor; string dims become symbolic (dynamic) axes. */
function valueInfo(name: string, shape: ReadonlyArray<number | string>): number[] {
  const dims = shape.flatMap((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : stringField(2, d)));
  const tensorType = [...intField(1, FLOAT), ...bytesField(2, dims)];
  return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

function floatTensor(name: string, dims: readonly number[], values: Float32Array): number[] {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return [...dims.flatMap((d) => intField(1, d)), ...intField(2, FLOAT), ...stringField(8, name), ...bytesField(9, raw)];
}

/**
 * A model with one float input (ignored) and one output that is always `values`:
 * graph `output = Identity(constant)`.
 */
export function constantOutputModel(input: { name: string; shape: ReadonlyArray<number | string> }, output: { name: string; shape: readonly number[]; values: Float32Array }): Uint8Array {
  const node = [...stringField(1, 'constant'), ...stringField(2, output.name), ...stringField(3, 'identity'), ...stringField(4, 'Identity')];
  const graph = [
    ...bytesField(1, node),
    ...stringField(2, 'constant_output'),
    ...bytesField(5, floatTensor('constant', output.shape, output.values)),
    ...bytesField(11, valueInfo(input.name, input.shape)),
    ...bytesField(12, valueInfo(output.name, output.shape)),
  ];
  const model = [...intField(1, 7), ...stringField(2, 'multicam-reid-tests'), ...bytesField(7, graph), ...bytesField(8, [...stringField(1, ''), ...intField(2, 13)])];
  return Uint8Array.from(model);
}
