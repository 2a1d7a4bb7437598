/**
 * Decides, per kernel and size, whether sharing a call with the kernel threads pays, by timing
 * both ways and keeping to the faster. On an idle machine sharing wins and the kernel threads
 * stay hot; on one busy with other work, a spinning thread only takes CPU time from the main
 * thread (measured: twice as slow), so calls run alone and the kernel threads sleep. Every PROBE_EVERY
 * calls the other way is tried for a short burst, so a change of load is noticed.
 */
const ALPHA = 0.2;
/** Sharing must be this much faster to be chosen: it also costs the kernel threads' CPU time. */
const MARGIN = 0.85;
const PROBE_EVERY = 256;
const PROBE_CALLS = 4;
const FIRST_SAMPLES = 4;

interface Arm {
  /** Moving averages of the call's time, alone and shared (ms); NaN until sampled. */
  solo: number;
  shared: number;
  soloSamples: number;
  sharedSamples: number;
  calls: number;
}

export class ShareChooser {
  private readonly arms = new Map<string, Map<number, Arm>>();

  private arm(fn: string, work: number): Arm {
    let byWork = this.arms.get(fn);
    if (!byWork) this.arms.set(fn, (byWork = new Map()));
    let arm = byWork.get(work);
    if (!arm) byWork.set(work, (arm = { solo: NaN, shared: NaN, soloSamples: 0, sharedSamples: 0, calls: 0 }));
    return arm;
  }

  /** Whether to share the next call of fn on this much work. */
  choose(fn: string, work: number): boolean {
    const arm = this.arm(fn, work);
    const call = arm.calls++;
    if (arm.sharedSamples < FIRST_SAMPLES) return true;
    if (arm.soloSamples < FIRST_SAMPLES) return false;
    const best = arm.shared < MARGIN * arm.solo;
    return call % PROBE_EVERY < PROBE_CALLS ? !best : best;
  }

  record(fn: string, work: number, shared: boolean, ms: number): void {
    const arm = this.arm(fn, work);
    if (shared) {
      arm.shared = arm.sharedSamples++ === 0 ? ms : arm.shared + ALPHA * (ms - arm.shared);
    } else {
      arm.solo = arm.soloSamples++ === 0 ? ms : arm.solo + ALPHA * (ms - arm.solo);
    }
  }
}
