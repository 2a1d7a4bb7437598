/**
 * How big the writing is, measured from the components of a first binarisation: everything
 * size-dependent later (filters, merge and split distances, noise and dot sizes, row and word
 * gaps) is a multiple of these, because character height varies 4× and more between photos.
 */
import type { Component } from './components.ts';

export interface WritingScale {
  /** Typical stroke width in pixels. */
  stroke: number;
  /** Typical character height and width in pixels. */
  charHeight: number;
  charWidth: number;
}

/** Median of a list (0 when empty); does not modify it. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (at - lo);
}

/** Stroke width of one component: area over half its border length (exact for a long bar). */
export const strokeOf = (c: Pick<Component, 'area' | 'perimeter'>): number => (2 * c.area) / Math.max(1, c.perimeter);

/**
 * Estimates the writing scale from the components of an image of the given size, or null when
 * nothing looks like writing (an empty page).
 * Character size comes from the components that are clearly more than specks: at least a few
 * stroke widths tall, and not among the lowest (pieces of broken characters) or tallest
 * (page edges, lines) heights.
 */
export function estimateScale(components: readonly Component[], width = Infinity, height = Infinity): WritingScale | null {
  // What touches the image's edge is more likely the table under the page, or its shadow.
  const big = components.filter((c) => c.area >= 12);
  const inside = big.filter((c) => c.x0 > 0 && c.y0 > 0 && c.x1 < width && c.y1 < height);
  // ... unless that is all there is.
  const sized = inside.length > 0 ? inside : big;
  if (sized.length === 0) return null;
  // Median stroke weighted by √area, so neither a cloud of specks nor one big blot decides it.
  const byStroke = sized.map((c) => ({ s: strokeOf(c), a: Math.sqrt(c.area) })).sort((a, b) => a.s - b.s);
  const totalArea = byStroke.reduce((n, c) => n + c.a, 0);
  let acc = 0;
  let stroke = byStroke[byStroke.length - 1]!.s;
  for (const c of byStroke) {
    acc += c.a;
    if (acc >= totalArea / 2) {
      stroke = c.s;
      break;
    }
  }
  stroke = Math.max(1, stroke);
  const candidates = sized.filter((c) => c.y1 - c.y0 >= 3 * stroke && c.area >= 4 * stroke * stroke);
  if (candidates.length === 0) return null;
  const heights = candidates.map((c) => c.y1 - c.y0);
  const tall = percentile(heights, 0.9);
  const typical = candidates.filter((c) => c.y1 - c.y0 >= 0.4 * tall && c.y1 - c.y0 <= 2 * tall);
  const charHeight = median(typical.map((c) => c.y1 - c.y0));
  const charWidth = median(typical.map((c) => c.x1 - c.x0));
  return { stroke, charHeight, charWidth };
}
