/** inferd's command line: `inferd serve`, `inferd inspect`. argv → options; no logic of its own. */
import { Command, CommanderError } from 'commander';
import { benchCommand } from './bench.ts';
import { inspectCommand } from './inspect.ts';
import { predictCommand } from './predict.ts';
import { serveCommand } from './serve.ts';

const program = new Command('inferd')
  .description('A model server for Node.js: TensorFlow Serving\'s REST and gRPC APIs for SavedModel and ONNX models')
  .version('inferd 0.1.0', '--version')
  .enablePositionalOptions() // `inferd bench --version N` is the model version, not inferd's
  .showHelpAfterError(false)
  .exitOverride();
program.addCommand(serveCommand());
program.addCommand(benchCommand());
program.addCommand(inspectCommand());
program.addCommand(predictCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander already printed the one-line reason; help and version exit 0.
    process.exit(err.exitCode);
  }
  process.stderr.write(`inferd: ${(err as Error).message}\n`);
  process.exit(1);
}
