import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { freshDatabase, onBothEngines } from '../../../test/db.ts';
import { fixedClock } from '../../lib/clock.ts';
import { createNotifier } from './notify.service.ts';

async function smtpSink() {
  const received: Array<{ to: string; body: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let body = '';
      stream.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), body });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    received,
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

onBothEngines(
  'queued emails are delivered over real SMTP once, letters stay in the outbox',
  async (engine) => {
    const db = await freshDatabase(engine);
    const smtp = await smtpSink();
    try {
      const notifier = createNotifier({
        db,
        clock: fixedClock('2026-11-24T03:00:00Z'),
        smtpUrl: smtp.url,
        mailFrom: 'ekyc@test.local',
      });
      await db.transaction((tx) =>
        notifier.queue(tx, {
          channel: 'email',
          recipient: 'it@bank.vn',
          subject: 'Thông tin tài khoản / Account details',
          bodyText: 'Xin chào',
          template: 'test',
        }),
      );
      await db.transaction((tx) =>
        notifier.queue(tx, {
          channel: 'letter',
          recipient: 'Số 1 Phố Huế, Hà Nội',
          subject: 'Thư',
          bodyText: 'x',
          template: 'test',
        }),
      );
      assert.equal(await notifier.deliverPending(), 1);
      assert.equal(await notifier.deliverPending(), 0);
      assert.equal(smtp.received.length, 1);
      assert.equal(smtp.received[0]?.to, 'it@bank.vn');
      const statuses = (await notifier.list({})).map((n) => `${n.channel}:${n.status}`).sort();
      assert.deepEqual(statuses, ['email:sent', 'letter:queued']);
    } finally {
      await smtp.close();
      await db.close();
    }
  },
);

onBothEngines('a notice queued in a transaction that rolls back is never sent', async (engine) => {
  const db = await freshDatabase(engine);
  try {
    const notifier = createNotifier({
      db,
      clock: fixedClock('2026-11-24T03:00:00Z'),
      mailFrom: 'x@test.local',
    });
    await assert.rejects(
      db.transaction(async (tx) => {
        await notifier.queue(tx, {
          channel: 'email',
          recipient: 'a@b.vn',
          subject: 's',
          bodyText: 'b',
          template: 't',
        });
        throw new Error('business rule failed');
      }),
    );
    assert.equal((await notifier.list({})).length, 0);
  } finally {
    await db.close();
  }
});
