/**
 * The user's data folder (HWR_HOME): saved samples, training runs and settings. Kept apart from
 * the project so that an installed app and the CLI share it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  /** One folder per page read: its images, text and corrections (page-history.ts). */
  pages: string;
}

export function homeLayout(root: string): HomeLayout {
  return { root, samples: join(root, 'samples'), runs: join(root, 'runs'), settings: join(root, 'settings.json'), pages: join(root, 'pages') };
}

/** What the lock file in HWR_HOME says about the process that holds it. */
export interface HomeLockOwner {
  pid: number;
  started: string;
  /** 'hwr serve', 'the desktop app', … */
  program: string;
}

export const LOCK_FILE = 'hwr.lock';

/** Lock files this process holds (a second services object in one process is refused too). */
const lockedHere = new Set<string>();

/** Whether a process with this pid exists (EPERM: it does, it is only not ours to signal). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes HWR_HOME for this process: one program at a time writes its samples, runs and settings
 * (two on one folder damaged the sample store: the second one's start-up repair removed the
 * first one's files mid-save). The lock file is made with O_EXCL; a lock whose process is gone
 * (a crash, a kill) is taken over. Throws an Error naming the holder when another live process
 * has it. Returns the release.
 */
export function lockHome(root: string, program: string): () => void {
  const path = join(root, LOCK_FILE);
  const mine: HomeLockOwner = { pid: process.pid, started: new Date().toISOString(), program };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine), { flag: 'wx' });
      lockedHere.add(path);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        lockedHere.delete(path);
        try {
          const held = JSON.parse(readFileSync(path, 'utf8')) as HomeLockOwner;
          if (held.pid === process.pid) rmSync(path, { force: true });
        } catch {
          // Gone already.
        }
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot lock the data folder ${root} (${(err as Error).message})`, { cause: err });
    }
    let owner: HomeLockOwner | null;
    try {
      owner = JSON.parse(readFileSync(path, 'utf8')) as HomeLockOwner;
    } catch {
      owner = null; // unreadable: a lock cut short while written
    }
    const held = owner !== null && (owner.pid === process.pid ? lockedHere.has(path) : processAlive(owner.pid));
    if (owner && held)
      throw new Error(
        `the data folder ${root} is in use by ${owner.program} (process ${owner.pid}, since ${owner.started}): ` +
          'close it first, or give this one another folder (--home DIR or HWR_HOME)',
      );
    rmSync(path, { force: true }); // its process is gone: take it over
  }
  throw new Error(`cannot lock the data folder ${root}: another program keeps taking it`);
}
