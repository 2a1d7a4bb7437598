/** The user's settings file (HWR_HOME/settings.json): which models are active, and which were before. Written atomically. */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../base/atomic.ts';
import type { ModelKind } from '../contract.ts';

export interface Settings {
  active: Partial<Record<ModelKind, string>>;
  /** What was active before the last change of each kind: one click brings it back. */
  previous: Partial<Record<ModelKind, string>>;
}

export function readSettings(path: string): Settings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { active: {}, previous: {} };
  }
  try {
    const parsed = JSON.parse(text) as Partial<Settings>;
    return { active: ids(parsed.active), previous: ids(parsed.previous) };
  } catch {
    // A damaged settings file must not stop the app: fall back to the defaults (it is rewritten on the next change).
    return { active: {}, previous: {} };
  }
}

export function writeSettings(path: string, settings: Settings): void {
  writeFileAtomic(path, JSON.stringify(settings, null, 2) + '\n', { durable: true });
}

function ids(value: unknown): Partial<Record<ModelKind, string>> {
  const out: Partial<Record<ModelKind, string>> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const kind of ['classifier', 'autoencoder'] as const) {
    const id = (value as Record<string, unknown>)[kind];
    if (typeof id === 'string') out[kind] = id;
  }
  return out;
}
