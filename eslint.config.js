// Lint: typescript-eslint's recommended rules plus the layer rules of shared/DESIGN.md,
// enforced with no-restricted-imports per layer (a layer may only import what the design allows).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const transports = ['fastify', 'fastify/*', '@fastify/*', '@grpc/*', 'node:http', 'node:http2', 'node:net'];
const runtimes = ['onnxruntime-node', '@tensorflow/*'];
const layer = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group].flat(), message })) }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'models/**', 'dist/**', 'dist-bench/**', 'coverage/**', '.tmp/**', '.scratch*/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Pages that run in the browser (examples' web apps, the dashboard): plain ES modules, no build step.
    files: ['examples/*/web/**/*.js', 'web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'fetch', 'performance', 'console', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout',
          'URL', 'URLSearchParams', 'AbortController', 'HTMLElement', 'requestAnimationFrame', 'localStorage', 'navigator', 'location']
          .map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['src/client/**'],
    rules: layer(
      [['**/server/**', '**/runtimes/**', '**/repository/**', '**/cli/**', 'fastify', 'onnxruntime-node', '@tensorflow/*']],
      'the client imports core types (and the gRPC wire schema), never the server or a runtime (shared/DESIGN.md)',
    ),
  },
  {
    files: ['src/core/**'],
    rules: layer(
      [[...transports, ...runtimes, 'node:*', 'prom-client', 'pino', 'protobufjs', 'protobufjs/*', 'commander', '**/runtimes/**', '**/server/**', '**/api/**', '**/repository/**', '**/cli/**', '**/observability/**']],
      'core imports nothing outside core (shared/DESIGN.md)',
    ),
  },
  {
    files: ['src/runtimes/**', 'src/repository/**'],
    rules: layer(
      [[...transports, '**/server/**', '**/api/**', '**/cli/**', '**/repository/**', '**/runtimes/**']],
      'runtimes and repository import only core (shared/DESIGN.md)',
    ),
  },
  {
    files: ['src/api/**'],
    rules: layer([[...runtimes, '**/runtimes/**', '**/repository/**', '**/cli/**']], 'api imports server and core types, never a runtime'),
  },
  {
    files: ['src/server/**'],
    rules: layer([[...transports, '**/api/**', '**/cli/**']], 'only cli names concrete transports'),
  },
);
