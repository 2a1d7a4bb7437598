/**
 * Decides whether sharing kernel calls with the kernel threads pays, by timing both ways and
 * keeping to the faster. On an idle machine sharing wins and the kernel threads stay hot; on one
 * busy with other work, a spinning thread only takes CPU time from the main thread (measured:
 * twice as slow), so calls run alone and the kernel threads sleep.
 *
 * The choice is one for every kernel at once, not one per kernel. A kernel thread is only fast
 * while it is hot: it spins for a moment after each job and sleeps after that. When each kernel
 * chose for itself, a kernel probing the shared way while the others ran alone got one job per
 * training step, the kernel thread fell asleep between them, and sharing measured slower than it
 * is: the MLP's epoch ran its products alone most of the time (0.07–0.09 s) although with every
 * product shared it took 0.053–0.07 s. So the engine shares everything or nothing, and tries the
 * other way for PROBE_CALLS calls now and then (a change of load is noticed): soon after the
 * first choice, then at gaps that double up to PROBE_EVERY calls. On this VM the same two cores
 * share a product 1.7× faster at one time and not at all at another, for seconds at a time.
 *
 * The first calls after a switch are not counted: shared after calls alone, they pay for waking
 * kernel threads that went to sleep meanwhile (0.3–0.7 ms on this machine's VM, against 0.05 ms
 * for a call), which is the price of the probe, not of sharing; alone after shared calls, they
 * run beside kernel threads still spinning. Each kernel and size is judged by the median of
 * its recent timings (a kernel thread the system put to sleep now and then costs a millisecond
 * once, not the typical call), and the two ways are compared over the kernels timed both ways,
 * each weighed by how often it is called.
 */
/** Each kernel and size is judged by the median of its last WINDOW timings each way. */
const WINDOW = 9;
/** Sharing must be this much faster to be chosen: it also costs the kernel threads' CPU time. */
const MARGIN = 0.85;
const PROBE_EVERY = 4096;
const FIRST_GAP = 512;
const PROBE_CALLS = 160;
/** Calls not counted after a switch: the kernel threads are waking, or still spinning after their last job. */
const SETTLING_CALLS = 48;

interface Arm {
  /** The call's last timings, alone and shared (ms), newest last. */
  solo: number[];
  shared: number[];
  /** Calls since the last decision: how much this kernel weighs in the next one. */
  calls: number;
}

export class ShareChooser {
  private readonly arms = new Map<string, Arm>();
  /** The way that measured faster (sharing until measured otherwise). */
  private best = true;
  /** Calls made; calls made the current way since the last switch. */
  private calls = 0;
  private sinceSwitch = 0;
  private current = true;
  /** Where the next probe starts, and the calls between probes (doubling to PROBE_EVERY: early choices are checked soon). */
  private gap = FIRST_GAP;
  private probeAt = 2 * PROBE_CALLS + FIRST_GAP;

  private arm(fn: string, work: number): Arm {
    const key = `${fn}:${work}`;
    let arm = this.arms.get(key);
    if (!arm) this.arms.set(key, (arm = { solo: [], shared: [], calls: 0 }));
    return arm;
  }

  /** Whether to share the next call of fn on this much work. */
  choose(fn: string, work: number): boolean {
    this.arm(fn, work).calls++;
    const call = this.calls++;
    // The first PROBE_CALLS shared, the next alone, then the faster way, with probes of the other.
    if (call === 2 * PROBE_CALLS) this.decide();
    else if (call === this.probeAt + PROBE_CALLS) {
      this.decide();
      this.gap = Math.min(PROBE_EVERY, 2 * this.gap);
      this.probeAt = call + this.gap;
    }
    const probing = call >= this.probeAt && call < this.probeAt + PROBE_CALLS;
    const share = call < PROBE_CALLS ? true : call < 2 * PROBE_CALLS ? false : probing ? !this.best : this.best;
    if (share !== this.current) {
      this.current = share;
      this.sinceSwitch = 0;
    }
    this.sinceSwitch++;
    return share;
  }

  record(fn: string, work: number, shared: boolean, ms: number): void {
    if (this.sinceSwitch <= SETTLING_CALLS) return;
    const arm = this.arm(fn, work);
    const times = shared ? arm.shared : arm.solo;
    times.push(ms);
    if (times.length > WINDOW) times.shift();
  }

  /** Sharing if, over the kernels timed both ways and weighed by their calls, it takes clearly less time. */
  private decide(): void {
    let solo = 0;
    let shared = 0;
    for (const arm of this.arms.values()) {
      if (arm.solo.length && arm.shared.length) {
        solo += arm.calls * median(arm.solo);
        shared += arm.calls * median(arm.shared);
      }
      arm.calls = 0;
    }
    if (solo > 0) this.best = shared < MARGIN * solo;
  }
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}
