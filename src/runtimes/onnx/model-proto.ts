/**
 * A minimal reader of an ONNX ModelProto's graph inputs and outputs (field numbers from onnx/onnx.proto).
 * onnxruntime-node reports a value with no shape at all (unknown rank) the same way as a scalar (`[]`); this
 * reader tells them apart. It walks the wire format and skips everything else (initializers are skipped by
 * length, not decoded).
 */
import protobuf from 'protobufjs/minimal.js';

/** Whether each graph input/output declares a shape, by value name. */
export interface DeclaredShapes {
  /** Names of graph inputs and outputs whose tensor type has a `shape` field. */
  readonly withShape: ReadonlySet<string>;
  /** Names of all graph inputs and outputs that were seen. */
  readonly seen: ReadonlySet<string>;
}

const WIRE_LEN = 2;

/** Iterate the fields of one message: calls `onField(fieldNumber, wireType, reader)`; unread fields are skipped. */
function eachField(reader: protobuf.Reader, end: number, onField: (field: number, wire: number) => boolean): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (!onField(field, wire)) reader.skipType(wire);
  }
}

/** TypeProto → true when tensor_type (1) has shape (2). */
function typeHasShape(reader: protobuf.Reader, end: number): boolean {
  let hasShape = false;
  eachField(reader, end, (field, wire) => {
    if (field !== 1 || wire !== WIRE_LEN) return false;
    const tEnd = reader.uint32() + reader.pos;
    eachField(reader, tEnd, (f, w) => {
      if (f === 2 && w === WIRE_LEN) hasShape = true;
      return false;
    });
    return true;
  });
  return hasShape;
}

/** Parse the graph's inputs (11) and outputs (12) from ModelProto bytes (graph is field 7). */
export function readDeclaredShapes(bytes: Uint8Array): DeclaredShapes {
  const withShape = new Set<string>();
  const seen = new Set<string>();
  const reader = protobuf.Reader.create(bytes);
  eachField(reader, bytes.length, (field, wire) => {
    if (field !== 7 || wire !== WIRE_LEN) return false;
    const gEnd = reader.uint32() + reader.pos;
    eachField(reader, gEnd, (gf, gw) => {
      if ((gf !== 11 && gf !== 12) || gw !== WIRE_LEN) return false;
      const vEnd = reader.uint32() + reader.pos;
      let name = '';
      let shaped = false;
      eachField(reader, vEnd, (vf, vw) => {
        if (vf === 1 && vw === WIRE_LEN) {
          name = reader.string();
          return true;
        }
        if (vf === 2 && vw === WIRE_LEN) {
          const tEnd = reader.uint32() + reader.pos;
          shaped = typeHasShape(reader, tEnd);
          return true;
        }
        return false;
      });
      seen.add(name);
      if (shaped) withShape.add(name);
      return true;
    });
    return true;
  });
  return { withShape, seen };
}
