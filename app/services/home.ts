/**
 * The user's data folder (HWR_HOME): saved samples, training runs and settings. Kept apart from
 * the project so that an installed app and the CLI share it.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** $HWR_HOME, else the OS's place for application data. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.HWR_HOME) return resolve(env.HWR_HOME);
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'hwr');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'hwr');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'hwr');
}

export interface HomeLayout {
  root: string;
  /** One subfolder per class: an image-folder dataset that training can read as it is. */
  samples: string;
  /** One folder per training run (its model, checkpoint, pictures, log). */
  runs: string;
  settings: string;
}

export function homeLayout(root: string): HomeLayout {
  return { root, samples: join(root, 'samples'), runs: join(root, 'runs'), settings: join(root, 'settings.json') };
}
