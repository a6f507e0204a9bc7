import { existsSync } from 'node:fs';
import path from 'node:path';

/** `../shared/data` beside the repo root; tests and evals fail with a clear message when it is missing. */
export function sharedDataPath(...parts: string[]): string {
  const root = path.resolve(import.meta.dirname, '../../../../shared/data');
  if (!existsSync(root)) {
    throw new Error(`Shared test data not found at ${root}: check out ../shared beside the repo`);
  }
  return path.join(root, ...parts);
}
