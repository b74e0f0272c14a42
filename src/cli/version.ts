/**
 * tensorflow_model_server compatibility of the command line itself: `--version` in its forms, and flags with no
 * subcommand meaning `serve` (the Docker image and scripts call the binary that way).
 */
import { readFileSync } from 'node:fs';

const SUBCOMMANDS = new Set(['serve', 'inspect', 'bench', 'help']);

interface PackageJson { version?: string; dependencies?: Record<string, string> }

function packageJson(): PackageJson {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;
  } catch {
    return {};
  }
}

/** The `--version` text, in tensorflow_model_server's two-line form (the "library" is the kernel library in use). */
export function versionText(): string {
  const pkg = packageJson();
  const tfjs = pkg.dependencies?.['@tensorflow/tfjs-core'] ?? 'unknown';
  return `TensorFlow ModelServer: inferd ${pkg.version ?? 'unknown'}\nTensorFlow Library: @tensorflow/tfjs-core ${tfjs} (Node.js ${process.versions.node})\n`;
}

const isVersionFlag = (arg: string): boolean => arg === '--version' || arg === '-version' || /^--?version=(true|1)$/i.test(arg);

/**
 * `'version'` when the arguments ask for the version (before any subcommand, or right after `serve`), else argv
 * with `serve` inserted when it starts with a flag rather than a subcommand (`--help`/`-h` alone stay global).
 */
export function normalizeArgv(argv: readonly string[]): string[] | 'version' {
  const [node = 'node', script = 'inferd', ...given] = argv;
  // `--version=false` asks for nothing (tensorflow_model_server's bool flag): drop it.
  const args = given.filter((a) => !/^--?version=(false|0)$/i.test(a));
  const first = args[0];
  if (first === undefined) return [node, script, ...args];
  if (isVersionFlag(first)) return 'version';
  if (first === 'serve' && args.slice(1).some(isVersionFlag)) return 'version';
  if (SUBCOMMANDS.has(first) || !first.startsWith('-') || first === '--help' || first === '-h') return [node, script, ...args];
  if (args.some(isVersionFlag)) return 'version';
  return [node, script, 'serve', ...args];
}
