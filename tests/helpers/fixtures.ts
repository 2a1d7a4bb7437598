import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIdx } from '../../app/data/idx.ts';
import { createRng } from '../../app/base/random.ts';

/**
 * A small, learnable IDX dataset of 28×28 shapes, one shape per class, with random position,
 * size and stroke: horizontal bar, vertical bar, ring, diagonal. White ink on black, as EMNIST.
 */
export function writeShapesIdx(
  count: number,
  seed = 1,
  dir = mkdtempSync(join(tmpdir(), 'hwr-shapes-')),
): { images: string; labels: string; dir: string; classes: string[] } {
  const rng = createRng(seed);
  const side = 28;
  const pixels = new Uint8Array(count * side * side);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 4;
    labels[n] = label;
    const cx = 14 + (rng.next() - 0.5) * 4;
    const cy = 14 + (rng.next() - 0.5) * 4;
    const r = 7 + rng.next() * 3;
    const w = 1.2 + rng.next();
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const dx = x - cx;
        const dy = y - cy;
        let d: number;
        if (label === 0) d = Math.abs(dy) + Math.max(0, Math.abs(dx) - r);
        else if (label === 1) d = Math.abs(dx) + Math.max(0, Math.abs(dy) - r);
        else if (label === 2) d = Math.abs(Math.hypot(dx, dy) - r);
        else d = Math.abs(dx - dy) / Math.SQRT2 + Math.max(0, Math.abs(dx + dy) / Math.SQRT2 - r);
        const v = Math.max(0, Math.min(1, w + 0.5 - d)) * 255;
        pixels[n * side * side + y * side + x] = Math.round(Math.min(255, v + rng.next() * 20));
      }
    }
  }
  const images = join(dir, 'shapes-images-idx3-ubyte.gz');
  const labelsPath = join(dir, 'shapes-labels-idx1-ubyte.gz');
  writeIdx(images, [count, side, side], pixels);
  writeIdx(labelsPath, [count], labels);
  return { images, labels: labelsPath, dir, classes: ['0', '1', '2', '3'] };
}

/** Runs the `hwr` CLI in-process and captures what it prints. */
export async function runHwr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../app/cli/main.ts');
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}
