/**
 * inferd's command line: `inferd serve`, `inferd inspect`, `inferd bench`. argv → options; no logic of its own.
 * A drop-in for tensorflow_model_server: flags without a subcommand mean `serve`
 * (`inferd --port=8500 --rest_api_port=8501 --model_name=m --model_base_path=/models/m`), and `--version`
 * (`--version`, `--version=true`, also after `serve`) prints tensorflow_model_server's two version lines.
 */
import { Command, CommanderError } from 'commander';
import { benchCommand } from './bench.ts';
import { inspectCommand } from './inspect.ts';
import { predictCommand } from './predict.ts';
import { serveCommand } from './serve.ts';
import { normalizeArgv, versionText } from './version.ts';

const program = new Command('inferd')
  .description('A model server for Node.js: TensorFlow Serving\'s REST and gRPC APIs and the Open Inference Protocol, for SavedModel, ONNX and TensorFlow.js models')
  .addHelpText('after', '\nAs a drop-in for tensorflow_model_server, flags without a command mean `serve`\n' +
    '(inferd --port=8500 --rest_api_port=8501 --model_name=m --model_base_path=/models/m), and --version prints\n' +
    'the server\'s version lines.')
  .enablePositionalOptions() // `inferd bench --version N` is the model version, not inferd's
  .showHelpAfterError(false)
  .exitOverride();
program.addCommand(serveCommand());
program.addCommand(benchCommand());
program.addCommand(inspectCommand());
program.addCommand(predictCommand());

const argv = normalizeArgv(process.argv);
try {
  if (argv === 'version') {
    process.stdout.write(versionText());
    process.exit(0);
  }
  await program.parseAsync(argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander already printed the one-line reason; help and version exit 0.
    process.exit(err.exitCode);
  }
  process.stderr.write(`inferd: ${(err as Error).message}\n`);
  process.exit(1);
}
