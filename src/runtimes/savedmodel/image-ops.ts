/**
 * Image ops tfjs-converter does not map, as inferd custom ops: DecodeJpeg, DecodePng and DecodeImage (a scalar
 * string of encoded bytes → uint8 [height, width, channels], computed as int32 in tfjs; JPEG through jpeg-js, PNG
 * through pngjs; like TensorFlow's decoders each accepts both formats; GIF/BMP are refused with INVALID_ARGUMENT),
 * and ResizeBicubic (TensorFlow's kernel: Keys cubic convolution with a = -0.75, or a = -0.5 and edge-renormalized
 * weights with half_pixel_centers; align_corners scaling).
 *
 * Pixel values can differ from TensorFlow's libjpeg-turbo decode by a few levels (different IDCT and upsampling);
 * PNG decodes are exact.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, OpExecutor } from '@tensorflow/tfjs-converter';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InferdError } from '../../core/errors.ts';
import { stringBytes } from './tfjs-tensors.ts';

/** Largest decoded image accepted, in megapixels (bounds the memory one request can make inferd allocate). */
const MAX_MEGAPIXELS = 100;

interface Decoded {
  readonly width: number;
  readonly height: number;
  /** Interleaved samples, `channels` per pixel. */
  readonly data: Uint8Array | Uint16Array;
  readonly channels: number;
}

/** Number of colour components in a JPEG's frame header (SOFn), or 3 when not found. */
function jpegComponents(b: Uint8Array): number {
  for (let i = 2; i + 9 < b.length;) {
    if (b[i] !== 0xff) return 3;
    const marker = b[i + 1] as number;
    const len = ((b[i + 2] as number) << 8) | (b[i + 3] as number);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return b[i + 9] as number;
    i += 2 + len;
  }
  return 3;
}

function decodeJpeg(bytes: Uint8Array): Decoded {
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 1024 });
  if (jpegComponents(bytes) === 1) {
    const gray = new Uint8Array(img.width * img.height);
    for (let p = 0; p < gray.length; p++) gray[p] = img.data[p * 3] as number;
    return { width: img.width, height: img.height, data: gray, channels: 1 };
  }
  return { width: img.width, height: img.height, data: img.data, channels: 3 };
}

function decodePng(bytes: Uint8Array, sixteen: boolean): Decoded {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), sixteen ? { skipRescale: true } : {});
  if (png.width * png.height > MAX_MEGAPIXELS * 1e6) throw InferdError.invalidArgument(`image of ${png.width}x${png.height} pixels is too large`);
  const channels = (png.color ? 3 : 1) + (png.alpha ? 1 : 0);
  const rgba = png.data as unknown as ArrayLike<number>;
  const deep = sixteen && png.depth === 16;
  const out = sixteen ? new Uint16Array(png.width * png.height * channels) : new Uint8Array(png.width * png.height * channels);
  const pick = png.color ? (png.alpha ? [0, 1, 2, 3] : [0, 1, 2]) : png.alpha ? [0, 3] : [0];
  for (let p = 0; p < png.width * png.height; p++) {
    for (let c = 0; c < channels; c++) {
      const v = rgba[p * 4 + (pick[c] as number)] as number;
      out[p * channels + c] = sixteen && !deep ? v * 257 : v;
    }
  }
  return { width: png.width, height: png.height, data: out, channels };
}

/** Convert interleaved samples to `want` channels (0 = keep), as TensorFlow's decoders do. */
function toChannels(img: Decoded, want: number): Decoded {
  if (want === 0 || want === img.channels) return img;
  const n = img.width * img.height;
  const out = new (img.data.constructor as new (k: number) => Uint8Array | Uint16Array)(n * want);
  for (let p = 0; p < n; p++) {
    const px = Array.from(img.data.subarray(p * img.channels, (p + 1) * img.channels));
    const color = img.channels >= 3;
    const alpha = img.channels === 2 || img.channels === 4 ? (px[img.channels - 1] as number) : img.data instanceof Uint16Array ? 65535 : 255;
    const [r, g, b] = color ? (px as [number, number, number]) : [px[0] as number, px[0] as number, px[0] as number];
    const y = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    const vals = want === 1 ? [y] : want === 2 ? [y, alpha] : want === 3 ? [r, g, b] : [r, g, b, alpha];
    out.set(vals, p * want);
  }
  return { width: img.width, height: img.height, data: out, channels: want };
}

function decodeImage(node: GraphNode, op: string): tf.Tensor {
  const contents = node.inputs[0] as tf.Tensor;
  if (contents.dtype !== 'string' || contents.size !== 1) throw InferdError.invalidArgument(`${op}: contents must be a scalar string`);
  const bytes = stringBytes(contents)[0] as Uint8Array;
  const channels = Number(node.attrs['channels'] ?? 0);
  if (![0, 1, 2, 3, 4].includes(channels)) throw InferdError.invalidArgument(`${op}: channels must be 0, 1, 2, 3 or 4, got ${channels}`);
  const sixteen = node.attrs['dtype'] === 'uint16';
  let img: Decoded;
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xd8) img = decodeJpeg(bytes);
    else if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) img = decodePng(bytes, sixteen);
    else throw new Error('Unknown image file format. One of JPEG, PNG is required (GIF and BMP are not supported by inferd).');
  } catch (err) {
    if (err instanceof InferdError) throw err;
    throw InferdError.invalidArgument(`${op}: ${(err as Error).message}`);
  }
  const out = toChannels(img, channels);
  const data = out.data instanceof Uint16Array || !sixteen ? out.data : Uint16Array.from(out.data, (v) => v * 257);
  const shape = [out.height, out.width, out.channels];
  if (node.attrs['dtype'] === 'float32') return tf.tensor(Float32Array.from(data, (v) => v / (sixteen ? 65535 : 255)), shape, 'float32');
  return tf.tensor(Int32Array.from(data), shape, 'int32');
}

/** TensorFlow's cubic convolution weights for a fractional offset `t` with coefficient `a`. */
function cubicWeights(t: number, a: number): [number, number, number, number] {
  const w = (x: number): number => {
    const ax = Math.abs(x);
    if (ax <= 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
    if (ax < 2) return ((a * ax - 5 * a) * ax + 8 * a) * ax - 4 * a;
    return 0;
  };
  return [w(t + 1), w(t), w(1 - t), w(2 - t)];
}

interface Taps {
  readonly index: number[];
  readonly weight: number[];
}

function axisTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): Taps[] {
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const a = halfPixel ? -0.5 : -0.75;
  const taps: Taps[] = [];
  for (let o = 0; o < outSize; o++) {
    const coord = halfPixel ? (o + 0.5) * scale - 0.5 : o * scale;
    const base = Math.floor(coord);
    const weight = cubicWeights(coord - base, a);
    const index = [base - 1, base, base + 1, base + 2];
    if (halfPixel) {
      // Taps outside the image get no weight; the rest are renormalized.
      for (let k = 0; k < 4; k++) if ((index[k] as number) < 0 || (index[k] as number) >= inSize) weight[k] = 0;
      const sum = weight.reduce((s, v) => s + v, 0);
      if (sum !== 0) for (let k = 0; k < 4; k++) weight[k] = (weight[k] as number) / sum;
    }
    taps.push({ index: index.map((i) => Math.min(Math.max(i, 0), inSize - 1)), weight });
  }
  return taps;
}

function resizeBicubic(node: GraphNode): tf.Tensor {
  const [images, size] = node.inputs as [tf.Tensor, tf.Tensor];
  if (images.rank !== 4) throw InferdError.invalidArgument(`ResizeBicubic: input must be 4-dimensional, got shape [${images.shape.join(',')}]`);
  const [outH, outW] = Array.from(size.dataSync()) as [number, number];
  if (!(outH > 0 && outW > 0)) throw InferdError.invalidArgument(`ResizeBicubic: output dimensions must be positive, got ${outH}x${outW}`);
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const align = node.attrs['align_corners'] === true;
  const half = node.attrs['half_pixel_centers'] === true;
  const ys = axisTaps(h, outH, align, half);
  const xs = axisTaps(w, outW, align, half);
  const src = images.dataSync() as Float32Array | Int32Array;
  const out = new Float32Array(n * outH * outW * c);
  for (let b = 0; b < n; b++) for (let oy = 0; oy < outH; oy++) {
    const ty = ys[oy] as Taps;
    for (let ox = 0; ox < outW; ox++) {
      const tx = xs[ox] as Taps;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = 0; i < 4; i++) {
          let row = 0;
          for (let j = 0; j < 4; j++) row += (tx.weight[j] as number) * (src[((b * h + (ty.index[i] as number)) * w + (tx.index[j] as number)) * c + ch] as number);
          s += (ty.weight[i] as number) * row;
        }
        out[((b * outH + oy) * outW + ox) * c + ch] = s;
      }
    }
  }
  return tf.tensor(out, [n, outH, outW, c], 'float32');
}

/** The image decoders and ResizeBicubic, by op name: graph-runner.ts registers them with tfjs-converter. */
export const IMAGE_OPS: Readonly<Record<string, OpExecutor>> = {
  ...Object.fromEntries(['DecodeJpeg', 'DecodePng', 'DecodeImage'].map((op): [string, OpExecutor] => [op, (node) => decodeImage(node, op)])),
  ResizeBicubic: resizeBicubic,
};
