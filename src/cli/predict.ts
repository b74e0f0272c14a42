/**
 * `inferd predict`: one Predict call with the TypeScript client, over REST (`--url`) or gRPC (`--grpc`). The input
 * file holds a TensorFlow Serving predict body (`{"inputs": …}` or `{"instances": …}`) or a bare `{alias: values}`
 * object; values are typed by the model's signature. Prints the outputs as JSON `{alias: nested values}`.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { GrpcClient, RestClient } from '../client/index.ts';
import { tensorJson, tensorOfJson } from '../client/json-tensors.ts';
import type { Signature } from '../core/signature.ts';
import type { Tensor } from '../core/tensor.ts';
import { intFlag } from './flags.ts';

interface PredictFlags {
  url?: string;
  grpc?: string;
  model: string;
  input: string;
  signature_name: string;
  version?: number;
  label?: string;
  output_filter?: string;
  token?: string;
  ca?: string;
  timeout_ms: number;
}

/** Inputs of a predict body (columnar or row format) as JSON values by alias. */
export function inputValues(body: unknown, signature: Signature): Record<string, unknown> {
  const aliases = Object.keys(signature.inputs);
  const obj = body as Record<string, unknown>;
  if (obj !== null && typeof obj === 'object' && 'instances' in obj) {
    const rows = obj['instances'];
    if (!Array.isArray(rows)) throw new Error('"instances" must be a list');
    if (aliases.length === 1 && !(rows[0] !== null && typeof rows[0] === 'object' && !Array.isArray(rows[0]) && (aliases[0] as string) in (rows[0] as object))) {
      return { [aliases[0] as string]: rows };
    }
    return Object.fromEntries(aliases.map((a) => [a, rows.map((r) => (r as Record<string, unknown>)[a])]));
  }
  const inputs = obj !== null && typeof obj === 'object' && 'inputs' in obj ? obj['inputs'] : obj;
  if (aliases.length === 1 && (Array.isArray(inputs) || typeof inputs !== 'object' || inputs === null)) return { [aliases[0] as string]: inputs };
  return inputs as Record<string, unknown>;
}

/** The `predict` subcommand. */
export function predictCommand(): Command {
  return new Command('predict')
    .description('Send one Predict request with the TypeScript client (REST or gRPC) and print the outputs as JSON')
    .option('--url <url>', 'REST base URL, e.g. http://127.0.0.1:8501')
    .option('--grpc <host:port>', 'gRPC address, e.g. 127.0.0.1:8500')
    .requiredOption('--model <name>', 'model name')
    .requiredOption('--input <file>', 'JSON file with a predict body or {alias: values}; - reads stdin')
    .option('--signature_name <key>', 'signature', 'serving_default')
    .option('--version <n>', 'model version', intFlag(1))
    .option('--label <label>', 'model version label')
    .option('--output_filter <aliases>', 'comma-separated output aliases')
    .option('--token <token>', 'bearer token (or env INFERD_TOKEN)')
    .option('--ca <file>', 'PEM CA certificate for TLS')
    .option('--timeout_ms <ms>', 'deadline', intFlag(1), 30_000)
    .action(async (flags: PredictFlags) => {
      if ((flags.url === undefined) === (flags.grpc === undefined)) throw new Error('give exactly one of --url and --grpc');
      const text = flags.input === '-' ? await readStdin() : await readFile(flags.input, 'utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new Error(`--input ${flags.input === '-' ? '(stdin)' : flags.input} is not JSON: ${(err as Error).message}`);
      }
      const token = flags.token ?? process.env['INFERD_TOKEN'];
      const common = {
        timeoutMs: flags.timeout_ms,
        ...(token ? { token } : {}),
        ...(flags.ca ? { ca: await readFile(flags.ca) } : {}),
      };
      const client = flags.url !== undefined ? new RestClient({ url: flags.url, ...common }) : new GrpcClient({ address: flags.grpc as string, ...common });
      try {
        const ref = { signatureName: flags.signature_name, ...(flags.version !== undefined ? { version: flags.version } : {}), ...(flags.label !== undefined ? { label: flags.label } : {}) };
        const signature = (await client.metadata(flags.model, ref)).signatures[flags.signature_name];
        if (signature === undefined) throw new Error(`model ${flags.model} has no signature ${flags.signature_name}`);
        const values = inputValues(body, signature);
        const inputs: Record<string, Tensor> = {};
        for (const [alias, value] of Object.entries(values)) {
          inputs[alias] = tensorOfJson(value, signature.inputs[alias]?.dtype ?? 'float32', alias);
        }
        const outputs = await client.predict(flags.model, inputs, { ...ref, ...(flags.output_filter ? { outputFilter: flags.output_filter.split(',') } : {}) });
        process.stdout.write(`{${Object.entries(outputs).map(([k, t]) => `${JSON.stringify(k)}:${tensorJson(t)}`).join(',')}}\n`);
      } finally {
        await client.close();
      }
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
