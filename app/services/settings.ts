/** The user's settings file (HWR_HOME/settings.json): which models are active. Written atomically. */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic.ts';
import type { ModelKind } from '../contract.ts';

export interface Settings {
  active: Partial<Record<ModelKind, string>>;
}

export function readSettings(path: string): Settings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { active: {} };
  }
  try {
    const parsed = JSON.parse(text) as Partial<Settings>;
    const active: Settings['active'] = {};
    for (const kind of ['classifier', 'autoencoder'] as const) {
      const id = parsed.active?.[kind];
      if (typeof id === 'string') active[kind] = id;
    }
    return { active };
  } catch {
    // A damaged settings file must not stop the app: fall back to the defaults (it is rewritten on the next change).
    return { active: {} };
  }
}

export function writeSettings(path: string, settings: Settings): void {
  writeFileAtomic(path, JSON.stringify(settings, null, 2) + '\n');
}
