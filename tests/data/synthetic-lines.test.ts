import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import type { LabelledImages } from '../../app/data/glyphs.ts';
import {
  canRender,
  capitalsStyle,
  GlyphBank,
  inCapitals,
  loadGlyphBank,
  randomStyle,
  randomText,
  renderLine,
  type SyntheticStyle,
} from '../../app/data/synthetic-lines.ts';
import type { GrayImage } from '../../app/image/gray.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

/** A bank whose every glyph is a solid block filling its 16×16 image, one per class. */
function blockBank(chars: string): GlyphBank {
  const classes = [...chars];
  const pixels = new Float32Array(classes.length * 256).fill(1);
  const set: LabelledImages = {
    count: classes.length,
    height: 16,
    width: 16,
    channels: 1,
    pixels,
    labels: Int32Array.from(classes, (_, i) => i),
    classes,
    source: 'blocks',
  };
  return new GlyphBank([set]);
}

const plain: SyntheticStyle = { slant: 0, letterGap: 0.3, wordGap: 1, stroke: 0, ruled: false, blur: false, noise: 0, xHeight: 0.55 };

/** First and last row holding ink above 0.5 between two columns. */
function rows(img: GrayImage, x0: number, x1: number): [number, number] {
  let [top, bottom] = [img.height, -1];
  for (let y = 0; y < img.height; y++)
    for (let x = x0; x < x1; x++) if (img.data[y * img.width + x]! > 0.5) [top, bottom] = [Math.min(top, y), Math.max(bottom, y)];
  return [top, bottom];
}

describe('synthetic lines', () => {
  const bank = blockBank('AapxH');

  it('capitals, x-height letters and descenders stand in their true proportions on one baseline', () => {
    const img = renderLine('A a p', bank, createRng(1), plain);
    expect(img.height).toBe(48);
    const third = Math.floor(img.width / 3);
    const [capTop, capFoot] = rows(img, 0, third);
    const [xTop, xFoot] = rows(img, third, 2 * third);
    const [pTop, pFoot] = rows(img, 2 * third, img.width);
    expect(Math.abs(capFoot - xFoot)).toBeLessThanOrEqual(2); // same baseline
    expect(xFoot - xTop).toBeLessThan(0.75 * (capFoot - capTop)); // a is an x-height letter
    expect(Math.abs(pTop - xTop)).toBeLessThanOrEqual(2); // p starts at the x-height...
    expect(pFoot).toBeGreaterThan(xFoot + 4); // ...and goes below the baseline
  });

  it('the same seed draws the same line; longer text draws a longer line', () => {
    const a = renderLine('Hap', bank, createRng(5));
    const b = renderLine('Hap', bank, createRng(5));
    expect(b).toEqual(a);
    expect(renderLine('Hap Hap Hap', bank, createRng(5), plain).width).toBeGreaterThan(2 * renderLine('Hap', bank, createRng(5), plain).width);
  });

  it('draws punctuation and accents with a pen, and refuses letters it has no handwriting for', () => {
    expect(canRender('à p, (x)!', bank)).toBe(true);
    expect(canRender('b', bank)).toBe(false);
    const img = renderLine("é'.", blockBank('e'), createRng(2), plain);
    expect(img.data.some((v) => v > 0.5)).toBe(true);
    expect(() => renderLine('b', bank, createRng(1))).toThrow(/no handwriting for 'b'/);
  });

  it('styles vary from line to line: slant, gaps that make letters touch, ruled paper', () => {
    const styles = Array.from({ length: 200 }, (_, i) => randomStyle(createRng(i)));
    expect(styles.some((s) => s.letterGap < 0)).toBe(true);
    expect(styles.some((s) => s.slant > 10) && styles.some((s) => s.slant < -5)).toBe(true);
    expect(styles.filter((s) => s.ruled).length).toBeGreaterThan(30);
  });

  it('block capitals: upper case without accents, their letters touching or overlapping in about half the lines', () => {
    expect(inCapitals("Société d'Émile à Québec")).toBe("SOCIETE D'EMILE A QUEBEC");
    const styles = Array.from({ length: 200 }, (_, i) => capitalsStyle(createRng(i)));
    const touching = styles.filter((s) => s.letterGap <= 0).length;
    expect(touching).toBeGreaterThan(70);
    expect(touching).toBeLessThan(130);
    // Overlapping by a fifth of an x-height and more, which randomStyle never draws.
    expect(styles.some((s) => s.letterGap < -0.25)).toBe(true);
  });

  it('random text mixes words, capitals, numbers and punctuation within the length', () => {
    const rng = createRng(3);
    const texts = Array.from({ length: 100 }, () => randomText(rng, ['maison', 'chat', 'école'], 40));
    expect(texts.every((t) => t.length <= 40 && t.length > 0)).toBe(true);
    expect(texts.some((t) => /\d/.test(t))).toBe(true);
    expect(texts.some((t) => /[A-ZÉ]/.test(t))).toBe(true);
    expect(texts.some((t) => /[,.;:]/.test(t))).toBe(true);
  });
});

describe('synthetic lines from EMNIST', () => {
  const data = sharedDataForTests();
  it.runIf(data)('every letter, digit and French accent of a sentence can be drawn', () => {
    const bank = loadGlyphBank(data!, 20);
    const text = "Émile Sarié, né le 27 octobre 1876 à Bastia; l'île (Corse) fût ça: 3/4!";
    expect(canRender(text, bank)).toBe(true);
    const img = renderLine(text, bank, createRng(4));
    expect(img.height).toBe(48);
    expect(img.width).toBeGreaterThan(400);
  });
});
