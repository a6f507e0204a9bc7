import assert from 'node:assert/strict';
import { freshDatabase, onBothEngines } from '../../test/db.ts';
import { startJobQueue } from './queue.ts';

onBothEngines('a job sent to the queue is handled once', async (engine) => {
  const db = await freshDatabase(engine);
  const seen: string[] = [];
  let done!: () => void;
  const handled = new Promise<void>((resolve) => {
    done = resolve;
  });
  const queue = await startJobQueue(
    db,
    [
      {
        name: 'test-echo',
        async handle(data: object) {
          seen.push((data as { word: string }).word);
          done();
        },
      },
    ],
    (err) => assert.fail(String(err)),
  );
  try {
    await queue.send('test-echo', { word: 'xin chào' });
    await Promise.race([
      handled,
      new Promise((_, reject) => setTimeout(() => reject(new Error('job not handled')), 15_000)),
    ]);
    assert.deepEqual(seen, ['xin chào']);
  } finally {
    await queue.stop();
    await db.close();
  }
});
