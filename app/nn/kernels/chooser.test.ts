import { describe, expect, it } from 'vitest';
import { ShareChooser } from './chooser.ts';

interface Costs {
  solo: number;
  /** A shared call while the kernel threads are hot (the call before was shared too). */
  shared: number;
  /** A shared call after calls alone: the kernel threads must wake (default: `shared`). */
  waking?: number;
}

/**
 * Runs `calls` calls cycling through `kernels` (each with its costs); returns the fraction that
 * were shared. The kernel threads are hot when the call before, of whatever kernel, was shared.
 */
function simulate(chooser: ShareChooser, calls: number, kernels: Record<string, Costs>): number {
  const names = Object.keys(kernels);
  let shared = 0;
  let hot = false;
  for (let i = 0; i < calls; i++) {
    const fn = names[i % names.length]!;
    const cost = kernels[fn]!;
    const share = chooser.choose(fn, 2048);
    chooser.record(fn, 2048, share, share ? (hot ? cost.shared : (cost.waking ?? cost.shared)) : cost.solo);
    hot = share;
    if (share) shared++;
  }
  return shared / calls;
}

const gemm = (costs: Costs) => ({ gemm_nn: costs });

describe('ShareChooser', () => {
  it('keeps to sharing while it is faster, probing the other way now and then', () => {
    const share = simulate(new ShareChooser(), 8192, gemm({ solo: 0.1, shared: 0.06 }));
    expect(share).toBeGreaterThan(0.9);
    expect(share).toBeLessThan(1);
  });

  it('runs alone when sharing is slower (a busy machine), and comes back when the load goes', () => {
    const chooser = new ShareChooser();
    expect(simulate(chooser, 8192, gemm({ solo: 0.1, shared: 0.2 }))).toBeLessThan(0.1);
    simulate(chooser, 2048, gemm({ solo: 0.1, shared: 0.06 }));
    expect(simulate(chooser, 8192, gemm({ solo: 0.1, shared: 0.06 }))).toBeGreaterThan(0.9);
  });

  it('shares when sharing is faster, though waking the kernel threads makes the first shared calls slow', () => {
    // As measured for the MLP's 32×1024×64 product: alone 0.09 ms, shared 0.05 ms, 0.7 ms when the threads must wake.
    expect(simulate(new ShareChooser(), 8192, gemm({ solo: 0.09, shared: 0.05, waking: 0.7 }))).toBeGreaterThan(0.9);
    // A busy machine: sharing is slow even with the threads awake.
    expect(simulate(new ShareChooser(), 8192, gemm({ solo: 0.09, shared: 0.15, waking: 0.7 }))).toBeLessThan(0.1);
  });

  it('judges every kernel together: the kernel threads stay hot only while all calls share', () => {
    // A training step: two products that gain from sharing while the threads are hot, and a small
    // kernel that does not. Shared after a call alone, a product finds the threads asleep (as slow
    // as alone, or slower). Judged kernel by kernel, each product's probes ran between calls alone
    // and sharing never looked faster.
    const step = {
      gemm_nn: { solo: 0.08, shared: 0.045, waking: 0.09 },
      act_forward: { solo: 0.01, shared: 0.012, waking: 0.02 },
      gemm_tn_sgd: { solo: 0.08, shared: 0.045, waking: 0.09 },
    };
    expect(simulate(new ShareChooser(), 12_288, step)).toBeGreaterThan(0.9);
    // When the small kernel is what takes the time, running alone wins.
    const small = { ...step, act_forward: { solo: 0.3, shared: 0.6, waking: 0.7 } };
    expect(simulate(new ShareChooser(), 12_288, small)).toBeLessThan(0.1);
  });
});
