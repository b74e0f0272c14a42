// Run thread bootstrap: make sure TypeScript modules load in this thread (tsx), then start run-thread.ts.
// Workers do not always inherit the parent's loader hooks (e.g. when tsx was registered programmatically).
try {
  await import('./run-thread.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { register } = await import('tsx/esm/api');
  register();
  // A failed import stays cached per specifier: load through a distinct URL.
  await import('./run-thread.ts?tsx');
}
