/**
 * Decides, per kernel and size, whether sharing a call with the kernel threads pays, by timing
 * both ways and keeping to the faster. On an idle machine sharing wins and the kernel threads
 * stay hot; on one busy with other work, a spinning thread only takes CPU time from the main
 * thread (measured: twice as slow), so calls run alone and the kernel threads sleep. Every PROBE_EVERY
 * calls the other way is tried for a short burst, so a change of load is noticed.
 *
 * The first shared call after calls alone is not counted: it pays for waking kernel threads that
 * went to sleep meanwhile (0.3–0.7 ms on this machine's VM, against 0.05 ms for the call itself),
 * which is the price of the probe, not of sharing. Counted, it made every probe look slow and kept
 * the engine alone for good (the MLP epoch's products ran at half the speed two cores give). For
 * the same reason each way is judged by the median of its recent timings, not their mean: a kernel
 * thread the system put to sleep now and then costs a millisecond once, not the typical call.
 */
/** Each way is judged by the median of its last WINDOW timings. */
const WINDOW = 9;
/** Sharing must be this much faster to be chosen: it also costs the kernel threads' CPU time. */
const MARGIN = 0.85;
const PROBE_EVERY = 256;
const PROBE_CALLS = 6;
const FIRST_SAMPLES = 4;

interface Arm {
  /** The call's last timings, alone and shared (ms), newest last. */
  solo: number[];
  shared: number[];
  calls: number;
  /** Whether this arm's last call was shared (the kernel threads are awake). */
  lastShared: boolean;
}

export class ShareChooser {
  private readonly arms = new Map<string, Map<number, Arm>>();

  private arm(fn: string, work: number): Arm {
    let byWork = this.arms.get(fn);
    if (!byWork) this.arms.set(fn, (byWork = new Map()));
    let arm = byWork.get(work);
    if (!arm) byWork.set(work, (arm = { solo: [], shared: [], calls: 0, lastShared: false }));
    return arm;
  }

  /** Whether to share the next call of fn on this much work. */
  choose(fn: string, work: number): boolean {
    const arm = this.arm(fn, work);
    const call = arm.calls++;
    if (arm.shared.length < FIRST_SAMPLES) return true;
    if (arm.solo.length < FIRST_SAMPLES) return false;
    const best = median(arm.shared) < MARGIN * median(arm.solo);
    return call % PROBE_EVERY < PROBE_CALLS ? !best : best;
  }

  record(fn: string, work: number, shared: boolean, ms: number): void {
    const arm = this.arm(fn, work);
    const waking = shared && !arm.lastShared;
    arm.lastShared = shared;
    if (waking) return;
    const times = shared ? arm.shared : arm.solo;
    times.push(ms);
    if (times.length > WINDOW) times.shift();
  }
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}
