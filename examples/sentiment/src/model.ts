/**
 * The sentiment classifier, shaped like the Keras tutorial model the seeds export: Embedding(vocabulary, 16) →
 * GlobalAveragePooling1D → Dense(16, relu) → Dense(1, sigmoid). Input `embedding_input`: token ids, float32
 * [n, length] (any length); output `dense_1`: the probability that the review is positive.
 */
import * as tf from '@tensorflow/tfjs';
import { generate, pad, tokenize, VOCABULARY_SIZE } from './data.ts';

/** Padded length used for training. */
export const TRAIN_LENGTH = 8;

/** Build and train on the generated dataset; returns the model and its final training accuracy. */
export async function train(options: { epochs?: number; examples?: number; seed?: number } = {}): Promise<{ model: tf.LayersModel; accuracy: number }> {
  const seed = options.seed ?? 3;
  const data = generate(options.examples ?? 400, seed);
  const input = tf.input({ shape: [null], name: 'embedding_input' });
  const embedded = tf.layers.embedding({ inputDim: VOCABULARY_SIZE, outputDim: 16, name: 'embedding', embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }) }).apply(input);
  const pooled = tf.layers.globalAveragePooling1d({ name: 'global_average_pooling1d' }).apply(embedded);
  const hidden = tf.layers.dense({ units: 16, activation: 'relu', name: 'dense', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(pooled);
  const output = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'dense_1', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const xs = tf.tensor2d(data.map((d) => pad(tokenize(d.sentence), TRAIN_LENGTH)));
  const ys = tf.tensor2d(data.map((d) => [d.label]));
  const history = await model.fit(xs, ys, { epochs: options.epochs ?? 30, batchSize: 32, shuffle: false, verbose: 0 });
  xs.dispose();
  ys.dispose();
  const acc = history.history['acc'] ?? history.history['accuracy'] ?? [];
  return { model, accuracy: Number(acc[acc.length - 1] ?? NaN) };
}

/** Positive-review probabilities of padded token rows, in-process (the oracle for served answers). */
export function predictInProcess(model: tf.LayersModel, rows: readonly (readonly number[])[]): number[] {
  return tf.tidy(() => ((model.predict(tf.tensor2d(rows.map((r) => [...r]))) as tf.Tensor).arraySync() as number[][]).map((r) => r[0] as number));
}
