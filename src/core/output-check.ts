/**
 * The one check every runtime answer passes before a client sees it (issue 17): outputs must be exactly the ones
 * asked for, each a well-formed tensor (non-negative integer dims, as many elements as its shape says, the dtype its
 * signature declares, bools 0 or 1), and fully written. "Fully written" is checkable because runtimes that allocate
 * output buffers from reused memory (tfjs-backend-wasm) fill them with UNWRITTEN_BYTE first: an element whose bytes
 * are all UNWRITTEN_BYTE is a NaN no arithmetic produces (arithmetic NaNs are canonical), so it means a kernel left
 * the element unwritten. The one legitimate source of that NaN is an input carrying it (binary TensorProto); when an
 * input does, the scan is skipped for that request. A failed check is INTERNAL and the answer is withheld: a wrong
 * value must never reach a client, least of all another request's.
 */
import { InferdError } from './errors.ts';
import type { LoadedModel, RunRequest, RunResult } from './runtime.ts';
import type { Signature } from './signature.ts';
import { elementCount, type Tensor } from './tensor.ts';

/** The byte runtimes fill output buffers with before a kernel writes them (all-ones: a NaN with every payload bit). */
export const UNWRITTEN_BYTE = 0xff;

/** True when some element of a float tensor has every byte equal to UNWRITTEN_BYTE. Other dtypes: false. */
export function hasUnwrittenElement(t: Tensor): boolean {
  switch (t.dtype) {
    case 'float32': {
      const d = t.data as Float32Array;
      const bits = new Uint32Array(d.buffer, d.byteOffset, d.length);
      for (let i = 0; i < bits.length; i++) if (bits[i] === 0xffffffff) return true;
      return false;
    }
    case 'float64': {
      const d = t.data as Float64Array;
      const bits = new Uint32Array(d.buffer, d.byteOffset, d.length * 2);
      for (let i = 0; i < bits.length; i += 2) if (bits[i] === 0xffffffff && bits[i + 1] === 0xffffffff) return true;
      return false;
    }
    case 'float16': case 'bfloat16': {
      const d = t.data as Uint16Array;
      for (let i = 0; i < d.length; i++) if (d[i] === 0xffff) return true;
      return false;
    }
    default:
      return false;
  }
}

function checkTensor(alias: string, t: Tensor | undefined, declared: Signature['outputs'][string] | undefined): void {
  const fail = (why: string): never => {
    throw InferdError.internal(`The runtime returned a malformed output ${alias}: ${why}; the answer was withheld`);
  };
  if (!t) return fail('missing');
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`bad shape [${String(t.shape)}]`);
  const count = elementCount(t.shape);
  if (!t.data || t.data.length !== count) fail(`shape [${t.shape.join(',')}] needs ${count} elements, got ${t.data?.length}`);
  if (declared && declared.dtype !== t.dtype) fail(`dtype ${t.dtype}, the signature declares ${declared.dtype}`);
  if (t.dtype === 'string') {
    if (!(t.data as unknown[]).every((s) => s instanceof Uint8Array)) fail('a string element is not bytes');
  } else if (t.dtype === 'bool') {
    const d = t.data as Uint8Array;
    for (let i = 0; i < d.length; i++) if ((d[i] as number) > 1) fail('a bool element was never written');
  }
}

/**
 * Check one run's outputs against its request and signature. Throws INTERNAL naming the output when anything is
 * malformed or unwritten (see the module comment). `signature` undefined skips the dtype comparison.
 */
export function checkOutputs(request: RunRequest, outputs: RunResult, signature: Signature | undefined): void {
  const asked = request.outputFilter && request.outputFilter.length > 0
    ? [...new Set(request.outputFilter)]
    : signature ? Object.keys(signature.outputs) : Object.keys(outputs);
  for (const alias of asked) checkTensor(alias, outputs[alias], signature?.outputs[alias]);
  const scan = !Object.values(request.inputs).some(hasUnwrittenElement);
  if (!scan) return;
  for (const alias of asked) {
    if (hasUnwrittenElement(outputs[alias] as Tensor)) {
      throw InferdError.internal(`The runtime left part of output ${alias} unwritten (a kernel bug); the answer was withheld`);
    }
  }
}

/** Wrap a loaded version so every answer passes checkOutputs. The wrapper forwards metadata and close. */
export function withOutputCheck(model: LoadedModel): LoadedModel {
  return {
    get metadata() {
      return model.metadata;
    },
    async run(request: RunRequest): Promise<RunResult> {
      const outputs = await model.run(request);
      checkOutputs(request, outputs, model.metadata.signatures[request.signatureName]);
      return outputs;
    },
    close: () => model.close(),
  };
}
