/** Fine-tuning from a model file (`--init-from`): errors that name the file. */

/** Runs `start`, an error of which names the model it was fine-tuning from. */
export function namingModel<T>(path: string, start: () => T): T {
  try {
    return start();
  } catch (err) {
    const message = (err as Error).message;
    throw new Error(message.includes(path) ? message : `--init-from ${path}: ${message}`, { cause: err });
  }
}
