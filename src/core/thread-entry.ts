/**
 * How a worker thread starts on one of the project's thread modules, from the TypeScript sources and from the
 * compiled dist/ alike. Pure: computes URLs, starts nothing.
 */

/** What to give `new Worker(filename, { argv })`. */
export interface ThreadEntry {
  readonly filename: URL;
  readonly argv: readonly string[];
}

/** True when this module runs from the TypeScript sources (tests, tsx), false from the compiled dist/. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const BOOTSTRAP = new URL('./thread-bootstrap.mjs', import.meta.url);

/**
 * The entry of a worker thread that runs `module`, the URL of a thread module's `.ts` file (resolve it beside the
 * caller: `new URL('./x-thread.ts', import.meta.url)`). From the sources: the shared bootstrap
 * (thread-bootstrap.mjs), which loads TypeScript in the thread and imports the module named by the last argv
 * entry. From dist/: the emitted `.js` of the module itself, with no argv.
 */
export function threadEntry(module: URL): ThreadEntry {
  if (FROM_SOURCES) return { filename: BOOTSTRAP, argv: [module.href] };
  return { filename: new URL(module.href.replace(/\.ts$/, '.js')), argv: [] };
}
