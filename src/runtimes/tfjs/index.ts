/** The TF.js runtime: the only names the server needs. */
export { TfjsRuntime } from './tfjs-runtime.ts';
export { TFJS_MODEL_FILE } from './model-files.ts';
