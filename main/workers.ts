/** Training in an Electron utilityProcess: the same protocol as the Node child under `hwr serve`. */
import type { UtilityProcess } from 'electron';
import type { FromTrainer, LaunchTrainer, TrainerProcess } from '../app/services/train-protocol.ts';

const STDERR_TAIL = 4000;

export type Fork = (modulePath: string, args: string[], options: { serviceName: string; stdio: 'pipe'; env: NodeJS.ProcessEnv }) => UtilityProcess;

/** `entry`: the built train-process.js; `appRoot`: where the app's TypeScript sources are. */
export function utilityTrainer(fork: Fork, entry: string, appRoot: string): LaunchTrainer {
  return (): TrainerProcess => {
    const child = fork(entry, [], { serviceName: 'hwr training', stdio: 'pipe', env: { ...process.env, HWR_APP_ROOT: appRoot } });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer | string) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL);
    });
    return {
      send: (message) => child.postMessage(message),
      kill: () => {
        child.kill();
      },
      onMessage: (listener) => child.on('message', (message: FromTrainer) => listener(message)),
      onExit: (listener) => child.once('exit', (code: number) => listener(code, stderr)),
    };
  };
}
