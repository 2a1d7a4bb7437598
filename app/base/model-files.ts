import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir } from './paths.ts';

/**
 * The shipped models, best first. The default recogniser is the first that exists: the CNN when
 * it has shipped, else the course MLP.
 */
export const RECOGNIZER_FILES = ['cnn.onnx', 'mlp.onnx'] as const;
export const AUTOENCODER_FILE = 'ae.onnx';
/** The mixed-case glyph classifier (A–Z a–z 0–9): what reads lower case glyph by glyph (see models/cnn62.md). */
export const MIXED_CASE_FILE = 'cnn62.onnx';

/** The shipped mixed-case classifier, or null where it is not there. */
export function mixedCaseRecognizerPath(dir = modelsDir): string | null {
  const path = join(dir, MIXED_CASE_FILE);
  return existsSync(path) ? path : null;
}

export function defaultRecognizerPath(dir = modelsDir): string {
  for (const name of RECOGNIZER_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `no recogniser model in ${dir} (expected one of ${RECOGNIZER_FILES.join(', ')}); train one with 'hwr train --arch mlp --save models/mlp.onnx'`,
  );
}

export function defaultAutoencoderPath(dir = modelsDir): string {
  const path = join(dir, AUTOENCODER_FILE);
  if (!existsSync(path)) throw new Error(`no autoencoder model at ${path}; train one with 'hwr train --arch ae --save models/ae.onnx'`);
  return path;
}

/** The line recogniser (mixed case, joined-up writing), read line by line. */
export const LINE_MODEL_FILE = 'lines.onnx';

export function defaultLineModelPath(dir = modelsDir): string {
  const path = join(dir, LINE_MODEL_FILE);
  if (!existsSync(path)) throw new Error(`no line recogniser at ${path}; train one with 'hwr train --arch crnn --data PAGES --save models/lines.onnx'`);
  return path;
}
