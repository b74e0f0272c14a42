/**
 * The chopstick classifier, built and trained with TensorFlow.js in TypeScript: length in mm → normalization (a
 * frozen Dense layer holding the dataset's mean and standard deviation, so clients send raw millimetres) → Dense(16,
 * relu) → Dense(3, softmax) named `probabilities`. Input alias `length_mm`, shape [n, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { CLASSES, classOf, type Row, tertiles } from './dataset.ts';

/** Training options. */
export interface TrainOptions {
  /** Passes over the data. Default 200. */
  readonly epochs?: number;
  /** Seed of the initial weights. Default 42. */
  readonly seed?: number;
}

/** A trained model with what it was trained on. */
export interface Trained {
  readonly model: tf.LayersModel;
  readonly cuts: readonly [number, number];
  readonly accuracy: number;
}

/** Build and train the classifier on `rows`. */
export async function train(rows: readonly Row[], options: TrainOptions = {}): Promise<Trained> {
  const seed = options.seed ?? 42;
  const cuts = tertiles(rows);
  const lengths = rows.map((r) => r.lengthMm);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  const std = Math.sqrt(lengths.reduce((a, b) => a + (b - mean) ** 2, 0) / lengths.length);

  const input = tf.input({ shape: [1], name: 'length_mm' });
  const normalize = tf.layers.dense({ units: 1, name: 'normalize', trainable: false, weights: [tf.tensor2d([[1 / std]]), tf.tensor1d([-mean / std])] });
  const hidden = tf.layers.dense({ units: 16, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const output = tf.layers.dense({ units: CLASSES.length, activation: 'softmax', name: 'probabilities', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) });
  const model = tf.model({ inputs: input, outputs: output.apply(hidden.apply(normalize.apply(input))) as tf.SymbolicTensor });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

  const xs = tf.tensor2d(lengths, [rows.length, 1]);
  const ys = tf.tensor1d(rows.map((r) => classOf(r.efficiency, cuts)), 'float32');
  const history = await model.fit(xs, ys, { epochs: options.epochs ?? 200, batchSize: 32, shuffle: false, verbose: 0 });
  xs.dispose();
  ys.dispose();
  const acc = history.history['acc'] ?? history.history['accuracy'] ?? [];
  return { model, cuts, accuracy: Number(acc[acc.length - 1] ?? NaN) };
}

/** Class probabilities for lengths in mm, in-process (the oracle the served answers are compared with). */
export function predictInProcess(model: tf.LayersModel, lengthsMm: readonly number[]): number[][] {
  return tf.tidy(() => (model.predict(tf.tensor2d([...lengthsMm], [lengthsMm.length, 1])) as tf.Tensor).arraySync() as number[][]);
}
