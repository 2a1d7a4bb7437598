import { describe, expect, it } from 'vitest';
import { ContractError, GLYPH_VALUES, LIMITS, REQUEST_NAMES } from '../contract.ts';
import { validateRequest } from './validate.ts';

const fail = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    return err as ContractError;
  }
  throw new Error('expected a ContractError');
};

const train = {
  arch: 'mlp',
  dataset: 'emnist36',
  epochs: 2,
  learningRate: 0.1,
  batchSize: 32,
  momentum: 0.9,
  limit: 500,
  augment: false,
  balance: true,
  patience: 0,
  seed: 1,
};

describe('validateRequest', () => {
  it('has a checker for every request of the contract', () => {
    for (const name of REQUEST_NAMES) expect(() => validateRequest(name, {})).not.toThrow(TypeError);
  });

  it('accepts a well-formed request and returns it typed', () => {
    const glyphs = new Float32Array(2 * GLYPH_VALUES).fill(0.5);
    expect(validateRequest('classifyGlyphs', { glyphs, topK: 3 })).toEqual({ glyphs, topK: 3 });
    expect(validateRequest('startTraining', train)).toEqual(train);
  });

  it('rejects unknown fields, naming them', () => {
    const err = fail(() => validateRequest('listModels', { sneaky: 1 }));
    expect(err.code).toBe('invalid-request');
    expect(err.message).toContain("'sneaky'");
  });

  it('rejects wrong types and out-of-range numbers, naming the field', () => {
    expect(fail(() => validateRequest('startTraining', { ...train, epochs: '3' })).message).toContain('startTraining.epochs must be a number');
    expect(fail(() => validateRequest('startTraining', { ...train, epochs: 0 })).message).toContain('within 1..1000');
    expect(fail(() => validateRequest('startTraining', { ...train, batchSize: 2.5 })).message).toContain('integer');
    expect(fail(() => validateRequest('startTraining', { ...train, arch: 'rnn' })).message).toContain('one of mlp, ae, cnn, tfmlp, crnn');
    expect(fail(() => validateRequest('startTraining', { ...train, learningRate: NaN })).code).toBe('invalid-request');
    expect(fail(() => validateRequest('recognizePage', 'a string')).message).toContain('must be an object');
    const image = new Uint8Array(3);
    const corner = { x: 1, y: 2 };
    expect(fail(() => validateRequest('recognizePage', { name: 'a.jpg', image, sheet: [corner, corner, corner] })).message).toContain('list of 4 corners');
    expect(fail(() => validateRequest('recognizePage', { name: 'a.jpg', image, sheet: [corner, corner, corner, { x: -1, y: 0 }] })).message).toContain(
      'recognizePage.sheet[3] must be a point',
    );
    expect(validateRequest('recognizePage', { name: 'a.jpg', image, sheet: [] })).toMatchObject({ sheet: [] });
  });

  it('refuses oversized payloads with too-large', () => {
    const image = new Uint8Array(LIMITS.imageBytes + 1);
    expect(fail(() => validateRequest('recognizePage', { name: 'big.jpg', image })).code).toBe('too-large');
    const glyphs = new Float32Array((LIMITS.glyphsPerRequest + 1) * GLYPH_VALUES);
    expect(fail(() => validateRequest('reconstructGlyphs', { glyphs })).code).toBe('too-large');
    expect(fail(() => validateRequest('recognizePage', { name: 'x'.repeat(LIMITS.nameLength + 1), image: new Uint8Array(3) })).code).toBe('too-large');
  });

  it('checks glyph data: whole glyphs, values in [0, 1]', () => {
    expect(fail(() => validateRequest('classifyGlyphs', { glyphs: new Float32Array(1000) })).message).toContain('multiple of 1024');
    const bad = new Float32Array(GLYPH_VALUES);
    bad[7] = 1.5;
    expect(fail(() => validateRequest('classifyGlyphs', { glyphs: bad })).message).toContain('value 7 is 1.5');
    expect(fail(() => validateRequest('classifyGlyphs', { glyphs: [0.1, 0.2] })).message).toContain('Float32Array');
  });

  it('checks a drawing against its stated size', () => {
    expect(fail(() => validateRequest('classifyDrawing', { ink: new Uint8Array(10), width: 4, height: 4 })).message).toContain('expected 4 × 4 = 16');
    expect(validateRequest('classifyDrawing', { ink: new Uint8Array(16), width: 4, height: 4 })).toMatchObject({ width: 4, height: 4 });
  });

  it('keeps sample labels from becoming paths', () => {
    const glyph = new Float32Array(GLYPH_VALUES);
    for (const label of ['../A', 'A/B', '.A', 'A\\B', '']) {
      expect(fail(() => validateRequest('saveSample', { label, glyph, source: 'draw' })).code).toBe('invalid-request');
    }
    expect(validateRequest('saveSample', { label: 'Q', glyph, source: 'draw' }).label).toBe('Q');
    // Labels become folder names on every platform the app ships to.
    for (const label of ['A\n', '\u202eA', 'A\u0000', 'A:b', 'A*', 'a?', '<', 'A.', 'A ', ' A', 'CON', 'nul', 'Com1', 'LPT9.txt']) {
      expect(fail(() => validateRequest('saveSample', { label, glyph, source: 'draw' })).code, JSON.stringify(label)).toBe('invalid-request');
    }
    for (const label of ['a', 'é', 'ß', '7', 'cat_dog', 'CONE', 'A.b'])
      expect(validateRequest('saveSample', { label, glyph, source: 'draw' }).label).toBe(label);
    expect(fail(() => validateRequest('saveSample', { label: 'Q', glyph, source: 'scan', pageId: 'p1' })).message).toContain('both pageId and glyphId');
  });

  it('checks the sample store requests: labels that are not paths, pages of bounded size', () => {
    for (const label of ['../A', 'A/B', '.A']) expect(fail(() => validateRequest('relabelSample', { id: 's1', label })).code).toBe('invalid-request');
    expect(fail(() => validateRequest('deleteSample', { id: '../x' })).message).toContain('deleteSample.id');
    expect(fail(() => validateRequest('listSamples', { limit: LIMITS.samplesPerPage + 1 })).message).toContain(`within 1..${LIMITS.samplesPerPage}`);
    expect(validateRequest('listSamples', { label: '7', offset: 10, limit: 20 })).toEqual({ label: '7', offset: 10, limit: 20 });
    expect(validateRequest('listSamples', {})).toEqual({});
  });

  it('checks a retraining request', () => {
    expect(validateRequest('startPersonalization', { epochs: 4, seed: 1 })).toEqual({ epochs: 4, seed: 1 });
    expect(fail(() => validateRequest('startPersonalization', { epochs: 0, seed: 1 })).message).toContain('startPersonalization.epochs must be within 1..200');
    expect(fail(() => validateRequest('startPersonalization', { epochs: 4 })).message).toContain('startPersonalization.seed must be a number');
  });

  it('accepts ids only in a safe alphabet', () => {
    expect(fail(() => validateRequest('activateModel', { id: '../../etc/passwd' })).code).toBe('invalid-request');
    expect(validateRequest('activateModel', { id: 'run:run-20260101-000000-abcd' })).toEqual({ id: 'run:run-20260101-000000-abcd' });
  });
});
