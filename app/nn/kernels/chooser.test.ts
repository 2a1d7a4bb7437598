import { describe, expect, it } from 'vitest';
import { ShareChooser } from './chooser.ts';

/** Runs `calls` calls with the given costs; returns the fraction that were shared. */
function simulate(chooser: ShareChooser, calls: number, cost: { solo: number; shared: number; waking?: number }): number {
  let shared = 0;
  let awake = false;
  for (let i = 0; i < calls; i++) {
    const share = chooser.choose('gemm_nn', 2048);
    // `waking`: what a shared call costs when the kernel threads slept through the calls before it.
    chooser.record('gemm_nn', 2048, share, share ? (awake ? cost.shared : (cost.waking ?? cost.shared)) : cost.solo);
    awake = share;
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

  it('shares when sharing is faster, though waking the kernel threads makes the first shared call slow', () => {
    // As measured for the MLP's 32×1024×64 product: alone 0.09 ms, shared 0.05 ms, 0.7 ms when the threads must wake.
    const chooser = new ShareChooser();
    expect(simulate(chooser, 2048, { solo: 0.09, shared: 0.05, waking: 0.7 })).toBeGreaterThan(0.9);
    // A busy machine: sharing is slow even with the threads awake.
    expect(simulate(new ShareChooser(), 2048, { solo: 0.09, shared: 0.15, waking: 0.7 })).toBeLessThan(0.1);
  });

  it('keeps separate timings per kernel and size', () => {
    const chooser = new ShareChooser();
    simulate(chooser, 300, { solo: 0.1, shared: 0.2 });
    expect(chooser.choose('gemm_nn', 4096)).toBe(true); // a new size starts by trying to share
    expect(chooser.choose('gemm_tn', 2048)).toBe(true);
  });
});
