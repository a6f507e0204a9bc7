import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `npm run bench -- <name> [args]` runs `bench/<name>.ts`, `npm run eval -- <name> [args]` runs
 * `eval/<name>.ts`; with no name, every one in the folder in turn. Each prints tables and asserts
 * nothing: timings and accuracy are read, not tested.
 */
const [kind, name, ...args] = process.argv.slice(2);
if (kind !== 'bench' && kind !== 'eval') {
  console.error('usage: node scripts/measure.ts bench|eval [name] [args]');
  process.exit(2);
}
const folder = join(import.meta.dirname, '..', kind);
const available = (await readdir(folder))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

if (name && !available.includes(name)) {
  console.error(`Unknown ${kind} "${name}". Available: ${available.join(', ')}`);
  process.exit(2);
}
for (const each of name ? [name] : available) {
  console.log(`\n## ${each}\n`);
  const mod = (await import(join(folder, `${each}.ts`))) as { run(args: string[]): Promise<void> };
  await mod.run(args);
}
