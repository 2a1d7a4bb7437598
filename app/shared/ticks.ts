/** Axis ticks for the charts: the training plots written as PNG and the Train view's live curves. */

/**
 * Round values for about `count` ticks from `lo` to `hi`: multiples of 1, 2 or 5 times a power of
 * ten, so a reader sees 0.2, 0.4, … rather than 0.187, 0.374, ….
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  // Multiples of the step counted from an integer, so 0.1 + 0.2 never shows as 0.30000000000000004.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-6; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}
