/**
 * A stand-in classifier for tests: nearest template by cosine similarity, the templates being
 * the stroke font's characters cut and framed by the real pipeline. It reads the synthetic pages
 * (nothing else), and counts its calls, so tests can check that a page is one batch.
 */
import { pageCrops, segmentPage } from '../../app/image/segment.ts';
import type { GlyphClassifier } from '../../app/recognize/recognizer.ts';
import { renderPage } from './synthetic.ts';
import { GLYPH_VALUES } from '../../app/contract.ts';

export const TEMPLATE_CLASSES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');

export interface TemplateClassifier extends GlyphClassifier {
  calls: number[];
}

let cached: Float32Array | null = null;

function templates(): Float32Array {
  if (cached) return cached;
  // Two rows of well separated characters, cut by the same segmentation and framing as pages.
  const rows = [TEMPLATE_CLASSES.slice(0, 18).join(' '), TEMPLATE_CLASSES.slice(18).join(' ')];
  const page = renderPage({ rows, charHeight: 48, wordGap: 1, jitter: 0, seed: 7 });
  const seg = segmentPage(page.image);
  const crops = pageCrops(seg);
  if (crops.length !== TEMPLATE_CLASSES.length * GLYPH_VALUES) {
    throw new Error(`templates: segmented ${crops.length / GLYPH_VALUES} characters, expected ${TEMPLATE_CLASSES.length}`);
  }
  for (let c = 0; c < TEMPLATE_CLASSES.length; c++) normalise(crops.subarray(c * GLYPH_VALUES, (c + 1) * GLYPH_VALUES));
  cached = crops;
  return crops;
}

function normalise(v: Float32Array): void {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
}

/**
 * The templates as the weights of a dense layer (1024 × classes, row-major): logits are
 * similarities × sharpness for glyphs of about the templates' norm, so a softmax after it is the
 * template classifier as an ONNX model.
 */
export function templateMatrix(sharpness: number): Float32Array {
  const t = templates();
  const k = TEMPLATE_CLASSES.length;
  const w = new Float32Array(GLYPH_VALUES * k);
  for (let c = 0; c < k; c++) for (let j = 0; j < GLYPH_VALUES; j++) w[j * k + c] = t[c * GLYPH_VALUES + j]! * sharpness;
  return w;
}

/** Softmax over cosine similarities × sharpness. */
export function templateClassifier(sharpness = 30): TemplateClassifier {
  const t = templates();
  const k = TEMPLATE_CLASSES.length;
  const calls: number[] = [];
  return {
    classes: TEMPLATE_CLASSES,
    calls,
    async classify(glyphs, n) {
      calls.push(n);
      const out = new Float32Array(n * k);
      for (let i = 0; i < n; i++) {
        const g = glyphs.slice(i * GLYPH_VALUES, (i + 1) * GLYPH_VALUES);
        normalise(g);
        let max = -Infinity;
        for (let c = 0; c < k; c++) {
          let dot = 0;
          for (let j = 0; j < GLYPH_VALUES; j++) dot += g[j]! * t[c * GLYPH_VALUES + j]!;
          out[i * k + c] = dot * sharpness;
          max = Math.max(max, dot * sharpness);
        }
        let sum = 0;
        for (let c = 0; c < k; c++) sum += out[i * k + c] = Math.exp(out[i * k + c]! - max);
        for (let c = 0; c < k; c++) out[i * k + c]! /= sum;
      }
      return out;
    },
  };
}
