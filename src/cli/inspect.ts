/**
 * `inferd inspect`: prints what `saved_model_cli show` prints for a SavedModel directory; with `--ops`, the graph's
 * ops and whether inferd runs them (before serving it).
 */
import { Command } from 'commander';
import { inspectSavedModel, opCoverage, opCoverageText } from '../server/inspect.ts';

/** The `inspect` subcommand. */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('Show a SavedModel\'s tag sets, signatures, inputs and outputs (like saved_model_cli show)')
    .argument('[dir]', 'SavedModel directory (the same as --dir)')
    .option('--dir <path>', 'SavedModel directory (holding saved_model.pb)')
    .option('--all', 'show every SignatureDef of every tag set')
    .option('--tag_set <tags>', 'comma-separated tag set, e.g. serve')
    .option('--signature_def <key>', 'SignatureDef key to show (with --tag_set)')
    .option('--ops', 'list the graph\'s ops and which ones inferd cannot run (meta graph of --tag_set, default serve)')
    .option('--json', 'print JSON for tools')
    .action(async (positional: string | undefined, opts: { dir?: string; all?: boolean; tag_set?: string; signature_def?: string; ops?: boolean; json?: boolean }) => {
      const dir = opts.dir ?? positional;
      if (dir === undefined) throw new Error('inspect needs a SavedModel directory (--dir <path> or a positional argument)');
      let text: string;
      if (opts.ops) {
        const tags = opts.tag_set?.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
        const coverage = opCoverage(dir, tags);
        text = opts.json ? JSON.stringify({ ops: coverage }, null, 2) : opCoverageText(coverage);
      } else {
        text = await inspectSavedModel(dir, {
          ...(opts.all ? { all: true } : {}),
          ...(opts.tag_set !== undefined ? { tagSet: opts.tag_set } : {}),
          ...(opts.signature_def !== undefined ? { signatureDef: opts.signature_def } : {}),
          ...(opts.json ? { json: true } : {}),
        });
      }
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}
