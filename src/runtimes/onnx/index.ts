/** The ONNX runtime (onnxruntime-node): the only names the server needs. */
export { OnnxRuntime, ONNX_MODEL_FILE, type OnnxRuntimeOptions } from './onnx-runtime.ts';
