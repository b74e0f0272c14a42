/** Model inspection for `inferd inspect`: the server names the runtime that knows the format. */
export { inspectSavedModel, type InspectOptions } from '../runtimes/savedmodel/inspect.ts';
export { opCoverage, opCoverageText, type OpCoverage } from '../runtimes/savedmodel/op-coverage.ts';
