/**
 * Call the served chopstick model from a TypeScript backend with inferd's client, over REST and over gRPC.
 *
 *   npx tsx examples/chopstick/src/client.ts [--rest http://127.0.0.1:8501] [--grpc 127.0.0.1:8500] [length_mm …]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GrpcClient, RestClient, tensor } from '../../../src/client/index.ts';
import { CLASSES } from './dataset.ts';

/** Ask `client` for the class probabilities of chopsticks of these lengths. */
export async function classify(client: RestClient | GrpcClient, lengthsMm: readonly number[]): Promise<{ lengthMm: number; label: string; probabilities: number[] }[]> {
  const { probabilities } = await client.predict('chopstick', { length_mm: tensor('float32', [lengthsMm.length, 1], Float32Array.from(lengthsMm)) });
  if (probabilities === undefined) throw new Error('the model answered without a probabilities output');
  const p = probabilities.data as Float32Array;
  return lengthsMm.map((lengthMm, i) => {
    const row = Array.from(p.subarray(i * CLASSES.length, (i + 1) * CLASSES.length));
    return { lengthMm, label: CLASSES[row.indexOf(Math.max(...row))] as string, probabilities: row };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    rest: { type: 'string', default: 'http://127.0.0.1:8501' }, grpc: { type: 'string', default: '127.0.0.1:8500' },
  } });
  const lengths = positionals.length > 0 ? positionals.map(Number) : [180, 240, 330];
  const rest = new RestClient({ url: values.rest });
  const grpc = new GrpcClient({ address: values.grpc });
  try {
    for (const [name, client] of [['REST', rest], ['gRPC', grpc]] as const) {
      for (const r of await classify(client, lengths)) {
        console.log(`${name}: ${r.lengthMm} mm → ${r.label} (${r.probabilities.map((p, i) => `${CLASSES[i]} ${(p * 100).toFixed(1)}%`).join(', ')})`);
      }
    }
  } finally {
    await rest.close();
    await grpc.close();
  }
}
