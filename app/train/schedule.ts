/**
 * Learning-rate schedules, one per kind of model, with their state as plain numbers so that a
 * checkpoint carries it and a resumed run continues the same schedule.
 * - 'plateau' (the from-scratch engine): halve when validation has not improved for
 *   PLATEAU_EPOCHS; large steps find the basin, small ones settle in it.
 * - 'cosine' (TensorFlow.js): cosine decay from the base rate to base·LR_FLOOR at the last epoch.
 */
export type ScheduleKind = 'plateau' | 'cosine';

export interface ScheduleState {
  /** The rate of the next epoch ('plateau'; 'cosine' derives it from the epoch). */
  rate: number;
  /** The epoch of the last halving (0 = none). */
  lastDecay: number;
}

/** Epochs without validation improvement before 'plateau' halves the rate. */
export const PLATEAU_EPOCHS = 3;
/** Where the cosine schedule ends, as a share of the base learning rate. */
export const LR_FLOOR = 0.02;

/** Cosine decay from `base` (epoch 1) to base·floor (the last epoch). */
export function learningRateAt(base: number, epoch: number, epochs: number, floor = LR_FLOOR): number {
  if (epochs <= 1) return base;
  const t = (epoch - 1) / (epochs - 1);
  return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
}

export function startSchedule(base: number): ScheduleState {
  return { rate: base, lastDecay: 0 };
}

export function rateOf(kind: ScheduleKind, state: ScheduleState, base: number, epoch: number, epochs: number): number {
  return kind === 'cosine' ? learningRateAt(base, epoch, epochs) : state.rate;
}

/** After an epoch: updates the state; returns what to log when the rate changed. */
export function advanceSchedule(kind: ScheduleKind, state: ScheduleState, epoch: number, bestEpoch: number): string | null {
  if (kind !== 'plateau' || epoch - Math.max(bestEpoch, state.lastDecay) < PLATEAU_EPOCHS) return null;
  state.rate *= 0.5;
  state.lastDecay = epoch;
  return `validation stalled for ${PLATEAU_EPOCHS} epochs: learning rate now ${state.rate.toPrecision(3)}`;
}

/** How the card describes the schedule. */
export function describeSchedule(kind: ScheduleKind, base: number, epochs: number): string {
  return kind === 'cosine'
    ? `${base} with cosine decay to ${(base * LR_FLOOR).toExponential(1)} over ${epochs} epochs`
    : `${base}, halved after ${PLATEAU_EPOCHS} epochs without validation improvement`;
}
