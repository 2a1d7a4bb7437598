/** The worker processes (training, page reading) as Electron utilityProcesses: the same protocol as the Node children under `hwr serve`. */
import type { UtilityProcess } from 'electron';
import type { LaunchWorker, WorkerProcess } from '../app/services/worker-protocol.ts';

const STDERR_TAIL = 4000;

export type Fork = (modulePath: string, args: string[], options: { serviceName: string; stdio: 'pipe'; env: NodeJS.ProcessEnv }) => UtilityProcess;

/**
 * `entry`: the built worker-process.js; `appRoot`: where the app's TypeScript sources are;
 * `extraEnv`: what a packaged app's workers need besides (main/asar.ts packagedWorkerEnv).
 */
export function utilityWorkers(fork: Fork, entry: string, appRoot: string, extraEnv: Record<string, string> = {}): LaunchWorker {
  return (kind) => {
    const child = fork(entry, [kind], {
      serviceName: `hwr ${kind}`,
      stdio: 'pipe',
      env: { ...process.env, ...extraEnv, HWR_APP_ROOT: appRoot, HWR_WORKER_KIND: kind },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer | string) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL);
    });
    const handle: WorkerProcess<unknown, unknown> = {
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      kill: () => {
        child.kill();
      },
      onMessage: (listener) => child.on('message', (message: unknown) => listener(message)),
      onExit: (listener) => child.once('exit', (code: number) => listener(code, stderr)),
    };
    return handle as never;
  };
}
