/** `inferd inspect`: prints what `saved_model_cli show` prints for a SavedModel directory. */
import { Command } from 'commander';
import { inspectSavedModel } from '../server/inspect.ts';

/** The `inspect` subcommand. */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('Show a SavedModel\'s tag sets, signatures, inputs and outputs (like saved_model_cli show)')
    .requiredOption('--dir <path>', 'SavedModel directory (holding saved_model.pb)')
    .option('--all', 'show every SignatureDef of every tag set')
    .option('--tag_set <tags>', 'comma-separated tag set, e.g. serve')
    .option('--signature_def <key>', 'SignatureDef key to show (with --tag_set)')
    .option('--json', 'print JSON for tools')
    .action(async (opts: { dir: string; all?: boolean; tag_set?: string; signature_def?: string; json?: boolean }) => {
      const text = await inspectSavedModel(opts.dir, {
        ...(opts.all ? { all: true } : {}),
        ...(opts.tag_set !== undefined ? { tagSet: opts.tag_set } : {}),
        ...(opts.signature_def !== undefined ? { signatureDef: opts.signature_def } : {}),
        ...(opts.json ? { json: true } : {}),
      });
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}
