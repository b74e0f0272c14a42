/**
 * The gRPC counterpart of bare-http.ts: a @grpc/grpc-js server whose `tensorflow.serving.PredictionService/Predict`
 * receives the request bytes (not decoded) and answers canned PredictResponse bytes. It measures what grpc-js and
 * the bench's gRPC client cost on this machine, i.e. the ceiling any grpc-js server (inferd included) can reach.
 * Usage: `node --import tsx bench/baseline/grpc-canned.ts --response=FILE [--port=0]` (FILE: raw PredictResponse bytes).
 * Prints `{"event":"listening","port":N}` when ready; exits on SIGTERM.
 */
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, response: { type: 'string' } } });
if (values.response === undefined) throw new Error('--response=FILE is required');
const canned = readFileSync(values.response);

const server = new Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
server.addService(
  {
    Predict: {
      path: '/tensorflow.serving.PredictionService/Predict',
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  },
  { Predict: (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, canned) },
);
server.bindAsync(`127.0.0.1:${values.port}`, ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
});
process.once('SIGTERM', () => server.tryShutdown(() => undefined));
