/**
 * `hwr` entry: dispatches to one module per command. Each command module exports
 * `run(args: string[]): Promise<number>` (the exit code) and `usage` (one help line).
 */
import { UsageError } from './args.ts';

export interface Command {
  usage: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<Command>> = {
  train: () => import('./train.ts'),
  eval: () => import('./eval.ts'),
  'eval-ae': () => import('./eval-ae.ts'),
  'eval-lines': () => import('./eval-lines.ts'),
  'tune-lines': () => import('./tune-lines.ts'),
  ocr: () => import('./ocr.ts'),
  serve: () => import('./serve.ts'),
  queue: () => import('./queue.ts'),
  worker: () => import('./worker.ts'),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const lines = ['usage: hwr <command> [options]', ''];
    for (const [cmd, load] of Object.entries(commands)) {
      try {
        lines.push(`  ${(await load()).usage}`);
      } catch {
        lines.push(`  ${cmd}`);
      }
    }
    console.log(lines.join('\n'));
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`hwr: unknown command '${name}' (try: ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  try {
    const command = await load();
    // `hwr CMD --help` (before any `--`): the command's usage on stdout. train and queue train print fuller help themselves.
    const own = rest.indexOf('--');
    const asked = (own === -1 ? rest : rest.slice(0, own)).some((a) => a === '--help' || a === '-h');
    if (asked && name !== 'train' && !(name === 'queue' && rest[0] === 'train')) {
      console.log(`usage: hwr ${command.usage}`);
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    console.error(`hwr ${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.HWR_DEBUG) console.error(err);
    return err instanceof UsageError ? 2 : 1;
  }
}
