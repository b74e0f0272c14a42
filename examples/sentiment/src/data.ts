/**
 * A tiny generated movie-review dataset and its tokenizer: short sentences built from positive and negative words
 * (seeded, so every run makes the same data), labelled 1 (positive) or 0 (negative). The tokenizer maps words to
 * ids by a fixed vocabulary: 0 is padding, 1 is an unknown word.
 */
import { prng } from '../../../src/loadgen/inputs.ts';

const POSITIVE = ['great', 'wonderful', 'excellent', 'loved', 'brilliant', 'fun', 'moving', 'beautiful', 'superb', 'enjoyable'];
const NEGATIVE = ['terrible', 'boring', 'awful', 'hated', 'dull', 'weak', 'painful', 'bad', 'messy', 'forgettable'];
const NEUTRAL = ['the', 'movie', 'film', 'plot', 'acting', 'was', 'really', 'and', 'a', 'story', 'very', 'ending', 'cast', 'so'];

/** The vocabulary: word → id (ids from 2; 0 = padding, 1 = unknown). */
export const VOCABULARY: ReadonlyMap<string, number> = new Map(
  [...NEUTRAL, ...POSITIVE, ...NEGATIVE].map((w, i) => [w, i + 2]),
);
/** Embedding rows the model needs. */
export const VOCABULARY_SIZE = VOCABULARY.size + 2;

/** Lowercase words of a sentence, punctuation dropped. */
export function words(sentence: string): string[] {
  return sentence.toLowerCase().split(/[^a-z']+/).filter(Boolean);
}

/** Token ids of a sentence (unknown words → 1), unpadded. */
export function tokenize(sentence: string): number[] {
  return words(sentence).map((w) => VOCABULARY.get(w) ?? 1);
}

/** Pad or cut token ids to `length` (zeros at the end). */
export function pad(ids: readonly number[], length: number): number[] {
  return Array.from({ length }, (_, i) => ids[i] ?? 0);
}

/** `count` labelled sentences: two or three neutral words around one or two words of the label's polarity. */
export function generate(count: number, seed = 1): { sentence: string; label: 0 | 1 }[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  return Array.from({ length: count }, () => {
    const label: 0 | 1 = random() < 0.5 ? 1 : 0;
    const polar = label === 1 ? POSITIVE : NEGATIVE;
    const parts = [pick(NEUTRAL), pick(NEUTRAL), pick(polar)];
    if (random() < 0.5) parts.push(pick(NEUTRAL), pick(polar));
    return { sentence: parts.join(' '), label };
  });
}
