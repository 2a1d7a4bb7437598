// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { addStroke, isScratch, looksLikeSeveral, pressureWidth, rasterBytes, rasterizeInk, rasterizeStrokes, type Stroke } from './strokes.ts';

const line = (x0: number, y0: number, x1: number, y1: number, pressure = 0.5): Stroke =>
  Array.from({ length: 11 }, (_, i) => ({ x: x0 + ((x1 - x0) * i) / 10, y: y0 + ((y1 - y0) * i) / 10, pressure }));

/** Columns holding ink above half, on one row. */
const widthOnRow = (r: { width: number; data: Float32Array }, y: number) => [...r.data.subarray(y * r.width, (y + 1) * r.width)].filter((v) => v > 0.5).length;

describe('rasterizeStrokes', () => {
  it('is null for no drawing', () => {
    expect(rasterizeStrokes([])).toBeNull();
    expect(rasterizeStrokes([[]])).toBeNull();
  });

  it('draws at a fixed scale whatever size the user wrote', () => {
    const small = rasterizeStrokes([line(10, 10, 10, 60)])!;
    const big = rasterizeStrokes([line(10, 10, 10, 300)])!;
    expect(small.height).toBe(big.height);
    expect(widthOnRow(small, Math.floor(small.height / 2))).toBe(widthOnRow(big, Math.floor(big.height / 2)));
  });

  it('makes pens 13 px wide at normal pressure, wider when pressed hard', () => {
    const normal = rasterizeStrokes([line(0, 0, 0, 100)])!;
    const hard = rasterizeStrokes([line(0, 0, 0, 100, 1)])!;
    expect(Math.abs(widthOnRow(normal, 50) - 13)).toBeLessThanOrEqual(1);
    expect(widthOnRow(hard, Math.floor(hard.height / 2))).toBeGreaterThan(widthOnRow(normal, 50) + 2);
    expect(pressureWidth(0.5)).toBe(1);
    expect(pressureWidth(0)).toBe(1); // no pressure reading: like a mouse
  });

  it('keeps a dot a dot instead of blowing it up', () => {
    const dot = rasterizeStrokes([[{ x: 50, y: 50, pressure: 0.5 }]])!;
    const ink = dot.data.filter((v) => v > 0.5).length;
    expect(ink).toBeGreaterThan(100);
    expect(ink).toBeLessThan(200); // a 13 px disc, not the whole raster
  });

  it('antialiases edges and converts to bytes', () => {
    const r = rasterizeStrokes([line(0, 0, 37.3, 80)])!;
    const soft = [...r.data].filter((v) => v > 0 && v < 1).length;
    expect(soft).toBeGreaterThan(20);
    const bytes = rasterBytes(r);
    expect(bytes.length).toBe(r.width * r.height);
    expect(Math.max(...bytes)).toBe(255);
  });
});

describe('the writing pad', () => {
  const zigzag = (x0: number, x1: number, y: number, turns: number): Stroke =>
    Array.from({ length: turns + 2 }, (_, i) => ({ x: i % 2 ? x1 : x0, y: y + (i % 3), pressure: 0.5 }));
  const circle = (cx: number, cy: number, r: number): Stroke =>
    Array.from({ length: 40 }, (_, i) => ({ x: cx + r * Math.cos((i / 39) * 2 * Math.PI), y: cy + r * Math.sin((i / 39) * 2 * Math.PI), pressure: 0.5 }));

  it('draws lines of writing at the pad’s scale, with paper around', () => {
    const r = rasterizeInk([line(100, 50, 300, 50)], 4, 10)!;
    expect(r.width).toBe(220);
    expect(r.height).toBe(20);
    expect(widthOnRow(r, 10)).toBeGreaterThan(190);
    expect(rasterizeInk([])).toBeNull();
  });

  it('tells a scratch-out from letters: o, e and w are not scratches', () => {
    expect(isScratch(zigzag(0, 60, 20, 6))).toBe(true);
    expect(isScratch(circle(50, 50, 20))).toBe(false);
    const w: Stroke = [0, 10, 20, 30, 40].map((x, i) => ({ x, y: i % 2 ? 40 : 0, pressure: 0.5 }));
    expect(isScratch(w)).toBe(false);
  });

  it('erases the strokes a scratch-out runs over, and keeps the rest', () => {
    const word = [circle(30, 30, 10), line(50, 20, 50, 40)];
    const other = circle(200, 30, 10);
    const { strokes, erased } = addStroke([...word, other], zigzag(15, 60, 25, 6));
    expect(erased).toBe(2);
    expect(strokes).toEqual([other]);
    // Over nothing, a zigzag is ink.
    expect(addStroke([other], zigzag(400, 450, 25, 6)).strokes).toHaveLength(2);
  });
});

describe('a sample is one character', () => {
  it('takes strokes side by side with a wide gap for several characters, and marks above each other for one', () => {
    const bar = (x: number, y0 = 0, y1 = 100) => line(x, y0, x, y1);
    expect(looksLikeSeveral([bar(0)])).toBe(false);
    expect(looksLikeSeveral([line(0, 100, 40, 0), line(40, 0, 80, 100), line(20, 50, 60, 50)])).toBe(false); // A
    expect(looksLikeSeveral([bar(0, 30, 100), bar(0, 0, 8)])).toBe(false); // i
    expect(looksLikeSeveral([line(0, 40, 60, 40), line(0, 60, 60, 60)])).toBe(false); // =
    expect(looksLikeSeveral([bar(0), bar(100)])).toBe(true); // I I
    expect(looksLikeSeveral([line(0, 100, 40, 0), line(40, 0, 80, 100), bar(160)])).toBe(true); // A and a 1
  });
});
