/**
 * Ruled lines, grid lines and frame edges in a binary mask: long horizontal (or vertical) runs of
 * ink that are thin across. They are removed before components are labelled, so that characters
 * written on lined paper do not all join into one component; where a character's stroke crosses
 * a line the ink is thick across the line's direction and is kept.
 */

export interface LineOptions {
  /** A run at least this long (px) is part of a line. */
  minLength: number;
  /** Line ink is at most this thick (px) across the run. */
  maxThickness: number;
}

/** Removes long thin horizontal and vertical runs from `mask` (in place); returns pixels removed. */
export function removeLines(mask: Uint8Array, width: number, height: number, options: LineOptions): number {
  const remove = new Uint8Array(mask.length);
  markHorizontal(mask, width, height, options, remove);
  markVertical(mask, width, height, options, remove);
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (remove[i]) {
      mask[i] = 0;
      n++;
    }
  }
  return n;
}

/*
 * A run is taken on the mask widened by one pixel across, so a slightly tilted line (a staircase
 * of short runs) still reads as one; only pixels thin across the run are marked.
 */

function markHorizontal(mask: Uint8Array, w: number, h: number, o: LineOptions, remove: Uint8Array): void {
  const thin = (x: number, y: number): boolean => {
    let t = 1;
    for (let d = y - 1; d >= 0 && mask[d * w + x] === 1 && t <= o.maxThickness; d--) t++;
    for (let d = y + 1; d < h && mask[d * w + x] === 1 && t <= o.maxThickness; d++) t++;
    return t <= o.maxThickness;
  };
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const up = y > 0 ? row - w : row;
    const down = y < h - 1 ? row + w : row;
    let start = -1;
    for (let x = 0; x <= w; x++) {
      const ink = x < w && (mask[row + x]! | mask[up + x]! | mask[down + x]!) === 1;
      if (ink) {
        if (start < 0) start = x;
        continue;
      }
      if (start >= 0 && x - start >= o.minLength) {
        for (let j = start; j < x; j++) if (mask[row + j] === 1 && thin(j, y)) remove[row + j] = 1;
      }
      start = -1;
    }
  }
}

function markVertical(mask: Uint8Array, w: number, h: number, o: LineOptions, remove: Uint8Array): void {
  const thin = (x: number, y: number): boolean => {
    const row = y * w;
    let t = 1;
    for (let d = x - 1; d >= 0 && mask[row + d] === 1 && t <= o.maxThickness; d--) t++;
    for (let d = x + 1; d < w && mask[row + d] === 1 && t <= o.maxThickness; d++) t++;
    return t <= o.maxThickness;
  };
  // Runs down every column at once, row by row (cache friendly).
  const start = new Int32Array(w).fill(-1);
  const close = (x: number, end: number) => {
    if (end - start[x]! >= o.minLength) {
      for (let y = start[x]!; y < end; y++) if (mask[y * w + x] === 1 && thin(x, y)) remove[y * w + x] = 1;
    }
    start[x] = -1;
  };
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const ink = (mask[row + x]! | (x > 0 ? mask[row + x - 1]! : 0) | (x < w - 1 ? mask[row + x + 1]! : 0)) === 1;
      if (ink) {
        if (start[x]! < 0) start[x] = y;
      } else if (start[x]! >= 0) close(x, y);
    }
  }
  for (let x = 0; x < w; x++) if (start[x]! >= 0) close(x, h);
}
