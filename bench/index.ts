import { readdir } from 'node:fs/promises';

/**
 * `npm run bench -- <name> [args]` runs `bench/<name>.ts`; with no name, every one in turn.
 * Each prints tables; none asserts timings.
 */
const [name, ...args] = process.argv.slice(2);
const available = (await readdir(import.meta.dirname))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

if (name && !available.includes(name)) {
  console.error(`Unknown bench "${name}". Available: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
if (available.length === 0) console.log('No bench scripts yet.');
for (const each of name ? [name] : available) {
  console.log(`\n## ${each}\n`);
  const mod = (await import(`./${each}.ts`)) as { run(args: string[]): Promise<void> };
  await mod.run(args);
}
