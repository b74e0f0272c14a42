/**
 * inferd's TypeScript client (`import { RestClient, GrpcClient } from 'inferd/client'`): TensorFlow Serving's REST
 * and gRPC APIs with typed-array tensors, deadlines, retries on UNAVAILABLE, TLS and bearer tokens. It works against
 * inferd and against TensorFlow Serving itself.
 */
export { RestClient, type RestClientOptions } from './rest-client.ts';
export { GrpcClient, type GrpcClientOptions } from './grpc-client.ts';
export type { CallOptions, ClassScore, ClientOptions, ExampleInput, FeatureValue, ModelMetadata, ModelRef, Outputs, PredictOptions, Signature, Tensor, TensorSpec } from './types.ts';
export { InferdError } from '../core/errors.ts';
export { tensor, stringTensor, decodeString } from '../core/tensor.ts';
