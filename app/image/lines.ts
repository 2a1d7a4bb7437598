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
  markRuns(mask, width, height, options, true, remove);
  markRuns(mask, width, height, options, false, remove);
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (remove[i]) {
      mask[i] = 0;
      n++;
    }
  }
  return n;
}

/**
 * Marks pixels of long runs along rows (horizontal) or columns. A run is taken on the mask
 * widened by one pixel across, so a slightly tilted line (a staircase of short runs) still reads
 * as one; only pixels thin across the run are marked.
 */
function markRuns(mask: Uint8Array, width: number, height: number, o: LineOptions, horizontal: boolean, remove: Uint8Array): void {
  const lines = horizontal ? height : width;
  const along = horizontal ? width : height;
  const at = horizontal ? (line: number, k: number) => line * width + k : (line: number, k: number) => k * width + line;
  const inkNear = (line: number, k: number): boolean =>
    mask[at(line, k)] === 1 || (line > 0 && mask[at(line - 1, k)] === 1) || (line < lines - 1 && mask[at(line + 1, k)] === 1);
  const thickness = (line: number, k: number): number => {
    let t = 1;
    for (let d = line - 1; d >= 0 && mask[at(d, k)] === 1 && t <= o.maxThickness; d--) t++;
    for (let d = line + 1; d < lines && mask[at(d, k)] === 1 && t <= o.maxThickness; d++) t++;
    return t;
  };
  for (let line = 0; line < lines; line++) {
    let start = -1;
    for (let k = 0; k <= along; k++) {
      const ink = k < along && inkNear(line, k);
      if (ink && start < 0) start = k;
      if (!ink && start >= 0) {
        if (k - start >= o.minLength) {
          for (let j = start; j < k; j++) {
            const i = at(line, j);
            if (mask[i] === 1 && thickness(line, j) <= o.maxThickness) remove[i] = 1;
          }
        }
        start = -1;
      }
    }
  }
}
