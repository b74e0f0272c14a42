/**
 * The ONNX runtime: loads `<version dir>/model.onnx` into an onnxruntime-node InferenceSession (CPU execution
 * provider) and describes it as one `serving_default` signature whose aliases are the ONNX input/output names.
 * With `runThreads` > 0 (the default) sessions live on worker threads (run-threads.ts): onnxruntime-node runs
 * `session.run` synchronously on the calling JS thread, so on the event loop a run holds every other request.
 * With 0, the session is created and run on the event loop (session creation there is synchronous too).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InferdError, throwIfAborted } from '../../core/errors.ts';
import type { LoadRequest, LoadedModel, Runtime } from '../../core/runtime.ts';
import type { Signature, TensorSpec } from '../../core/signature.ts';
import { dtypeOfOrtType } from './convert.ts';
import { messageOf } from './errors.ts';
import { readDeclaredShapes } from './model-proto.ts';
import { ONNX_METHOD, OnnxLoadedModel, specOf, type OnnxSession } from './onnx-model.ts';
import { IdleThreads } from '../../core/thread-pool.ts';
import { RunThreads, type SessionMetadata } from './run-threads.ts';

/** The file the runtime loads from a version directory. */
export const ONNX_MODEL_FILE = 'model.onnx';

/** Options of the ONNX runtime; they apply to every session it creates. */
export interface OnnxRuntimeOptions {
  /**
   * Threads one operator may use (onnxruntime's intra-op pool). Default 1: runs execute one at a time on the
   * main thread, and extra threads spin and compete with the event loop for small models; raise it for large
   * models on machines with spare cores. 0 lets onnxruntime use one thread per physical core.
   */
  readonly intraOpNumThreads?: number;
  /** Threads for running independent operators concurrently; used only when executionMode is 'parallel'. Default 1. */
  readonly interOpNumThreads?: number;
  /** Operator scheduling. Default 'sequential'. */
  readonly executionMode?: 'sequential' | 'parallel';
  /** Graph optimizations applied at load. Default 'all'. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime's own log threshold on stderr: 0 verbose … 4 fatal. Default 3 (errors only). */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Worker threads per loaded version, each with its own session (memory: the weights once per started thread;
   * threads beyond the first start only while all are busy). 0 runs on the event loop. Default 1.
   */
  readonly runThreads?: number;
}

/** Runtime for platform `onnx` on onnxruntime-node. */
export class OnnxRuntime implements Runtime {
  /** Platform name in model configs. */
  readonly platform = 'onnx';
  readonly #sessionOptions: ort.InferenceSession.SessionOptions;
  readonly #runThreads: number;
  /** Run threads of unloaded versions, reused by later loads (at most one version's worth). */
  readonly #idleThreads: IdleThreads;

  private constructor(options: OnnxRuntimeOptions) {
    this.#runThreads = options.runThreads ?? 1;
    this.#idleThreads = new IdleThreads(this.#runThreads);
    this.#sessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: options.interOpNumThreads ?? 1,
      executionMode: options.executionMode ?? 'sequential',
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      logSeverityLevel: options.logSeverityLevel ?? 3,
    };
  }

  /** Create the runtime; validates thread counts (non-negative integers) with INVALID_ARGUMENT. */
  static async create(options: OnnxRuntimeOptions = {}): Promise<OnnxRuntime> {
    for (const key of ['intraOpNumThreads', 'interOpNumThreads', 'runThreads'] as const) {
      const v = options[key];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
        throw InferdError.invalidArgument(`OnnxRuntime: ${key} must be a non-negative integer, got ${v}`);
      }
    }
    return new OnnxRuntime(options);
  }

  /** True when `<versionPath>/model.onnx` is a file. */
  async detect(versionPath: string): Promise<boolean> {
    try {
      return (await stat(join(versionPath, ONNX_MODEL_FILE))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * Load `<path>/model.onnx`. Errors: NOT_FOUND when the file is missing, INVALID_ARGUMENT when onnxruntime
   * rejects it (corrupt file, unsupported operator or type), CANCELLED when the signal aborts. Messages name the path.
   */
  async load(request: LoadRequest): Promise<LoadedModel> {
    const file = join(request.path, ONNX_MODEL_FILE);
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
    } catch {
      throw InferdError.notFound(`Could not find ${ONNX_MODEL_FILE} at supplied export directory path: ${request.path}`);
    }
    throwIfAborted(request.signal);
    let session: OnnxSession & SessionMetadata;
    try {
      session = this.#runThreads > 0
        ? await RunThreads.start(file, this.#sessionOptions, this.#runThreads, this.#idleThreads)
        : await ort.InferenceSession.create(file, this.#sessionOptions);
    } catch (err) {
      throw InferdError.invalidArgument(`Failed to load ONNX model ${file}: ${messageOf(err).replace(/\s*\n\s*/g, ' ')}`);
    }
    try {
      throwIfAborted(request.signal);
      const signature = await signatureOf(session, file);
      return new OnnxLoadedModel(session, signature, request);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** End the idle run threads (onnxruntime's environment lives as long as the process). */
  async close(): Promise<void> {
    await this.#idleThreads.close();
  }
}

/** Describe a session as the `serving_default` signature; reads the file only to tell scalars from unknown rank. */
async function signatureOf(session: SessionMetadata, file: string): Promise<Signature> {
  const all = [...session.inputMetadata, ...session.outputMetadata];
  let unknownRank: (name: string) => boolean = () => false;
  if (all.some((m) => m.isTensor && m.shape.length === 0)) {
    const declared = readDeclaredShapes(await readFile(file));
    unknownRank = (name) => declared.seen.has(name) && !declared.withShape.has(name);
  }
  const specs = (list: readonly ort.InferenceSession.ValueMetadata[], kind: string): Record<string, TensorSpec> => {
    const out: Record<string, TensorSpec> = {};
    for (const m of list) {
      if (!m.isTensor) {
        throw InferdError.invalidArgument(`Failed to load ONNX model ${file}: ${kind} '${m.name}' is not a tensor (sequences and maps are not supported)`);
      }
      const dtype = dtypeOfOrtType(m.type);
      if (dtype === undefined) {
        throw InferdError.invalidArgument(`Failed to load ONNX model ${file}: ${kind} '${m.name}' has unsupported element type ${m.type}`);
      }
      out[m.name] = specOf(m.name, dtype, m.shape, unknownRank(m.name));
    }
    return out;
  };
  return { inputs: specs(session.inputMetadata, 'input'), outputs: specs(session.outputMetadata, 'output'), methodName: ONNX_METHOD };
}
