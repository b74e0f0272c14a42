// Worker-thread bootstrap for running from the TypeScript sources (see thread-entry.ts, which names it): import
// the thread module whose URL is the last argv entry, registering tsx in this thread first when the thread did not
// inherit the parent's loader hooks (e.g. when tsx was registered programmatically). dist/ never uses this file.
/* global process */
const module = process.argv.at(-1);
try {
  await import(module);
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { register } = await import('tsx/esm/api');
  register();
  // A failed import stays cached per specifier: load through a distinct URL.
  await import(`${module}?tsx`);
}
