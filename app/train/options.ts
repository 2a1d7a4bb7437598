/**
 * The trainers' check of a run's options against the one table (TRAIN_OPTIONS in app/contract.ts),
 * so a run started from code meets the same limits as `hwr train` and the app's startTraining.
 */
import { rangeText, TRAIN_OPTIONS, type TrainOptionName, type TrainOptionSpec } from '../contract.ts';
import type { TrainOptions } from './types.ts';

export { TRAIN_OPTIONS } from '../contract.ts';

/** Every field of TrainOptions a user sets has a row in the table, and every row a field (`command` is recorded, not set). */
type Unlisted = Exclude<keyof TrainOptions, TrainOptionName | 'command'> | Exclude<TrainOptionName, keyof TrainOptions>;
const everyOptionListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOptionListed;

/** Throws a RangeError naming the first option outside its range or given to an architecture that has no use for it. */
export function checkTrainOptions(o: TrainOptions): void {
  const arch = TRAIN_OPTIONS.arch;
  if (!(arch.values as readonly string[]).includes(o.arch)) throw new RangeError(`arch must be one of ${arch.values.join(', ')}, got '${String(o.arch)}'`);
  for (const name of Object.keys(TRAIN_OPTIONS) as TrainOptionName[]) {
    const spec: TrainOptionSpec = TRAIN_OPTIONS[name];
    const value: unknown = o[name];
    if (value === undefined) continue;
    if (spec.archs && !spec.archs.includes(o.arch)) throw new RangeError(`${name} (--${spec.flag}) applies to arch ${spec.archs.join(' or ')}, not ${o.arch}`);
    if (spec.kind === 'integer' || spec.kind === 'number') {
      const ok = typeof value === 'number' && value >= spec.min && value <= spec.max && (spec.kind === 'number' || Number.isInteger(value));
      if (!ok) throw new RangeError(`${name} (--${spec.flag}) must be ${rangeText(spec)}, got ${String(value)}`);
    } else if (spec.kind === 'boolean' && typeof value !== 'boolean') {
      throw new RangeError(`${name} (--${spec.flag}) must be true or false, got ${String(value)}`);
    }
  }
  if (o.freezeFeatures && !o.initFrom) throw new RangeError('freezeFeatures (--freeze) needs initFrom (--init-from MODEL)');
}
