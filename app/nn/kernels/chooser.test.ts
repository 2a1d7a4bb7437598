import { describe, expect, it } from 'vitest';
import { ShareChooser } from './chooser.ts';

/** Runs `calls` calls with the given costs; returns the fraction that were shared. */
function simulate(chooser: ShareChooser, calls: number, cost: { solo: number; shared: number }): number {
  let shared = 0;
  for (let i = 0; i < calls; i++) {
    const share = chooser.choose('gemm_nn', 2048);
    chooser.record('gemm_nn', 2048, share, share ? cost.shared : cost.solo);
    if (share) shared++;
  }
  return shared / calls;
}

describe('ShareChooser', () => {
  it('keeps to sharing while it is faster, probing the other way now and then', () => {
    const chooser = new ShareChooser();
    const share = simulate(chooser, 1024, { solo: 0.1, shared: 0.06 });
    expect(share).toBeGreaterThan(0.9);
    expect(share).toBeLessThan(1);
  });

  it('runs alone when sharing is slower (a busy machine), and comes back when the load goes', () => {
    const chooser = new ShareChooser();
    expect(simulate(chooser, 1024, { solo: 0.1, shared: 0.2 })).toBeLessThan(0.1);
    simulate(chooser, 256, { solo: 0.1, shared: 0.06 });
    expect(simulate(chooser, 512, { solo: 0.1, shared: 0.06 })).toBeGreaterThan(0.9);
  });

  it('keeps separate timings per kernel and size', () => {
    const chooser = new ShareChooser();
    simulate(chooser, 300, { solo: 0.1, shared: 0.2 });
    expect(chooser.choose('gemm_nn', 4096)).toBe(true); // a new size starts by trying to share
    expect(chooser.choose('gemm_tn', 2048)).toBe(true);
  });
});
