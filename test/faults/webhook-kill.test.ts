import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  apiKey,
  requirePostgres,
  type Started,
  startOn,
  throwawayDatabase,
  unlimited,
  waitFor,
} from './harness.ts';

/**
 * SIGKILL while webhooks are on the wire to a real loopback receiver (it holds some requests open
 * so the kill lands mid-delivery), restart: every event is delivered (answered 2xx) at least once.
 */
const EVENTS = 30;

test('SIGKILL during webhook delivery: after a restart every event is delivered at least once', async (t) => {
  if (!(await requirePostgres(t))) return;
  const received = new Map<string, number>(); // event id → 2xx answers given
  const held: ServerResponse[] = [];
  let hold = true;
  let arrivals = 0;
  const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      arrivals++;
      const eventId = String(req.headers['ekyc-event-id']);
      // Phase 1 answers every other request and holds the rest open: the kill finds them in flight.
      if (hold && arrivals % 2 === 0) {
        held.push(res);
        return;
      }
      received.set(eventId, (received.get(eventId) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const db = await throwawayDatabase('hookkill');
  const key = apiKey();
  let first: Started | undefined;
  let second: Started | undefined;
  try {
    first = await startOn(db.url, key);
    await db.client.connect();
    await unlimited(db.client);
    const v1 = (port: number, path: string, body?: object) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const created = await v1(first.port, '/v1/webhooks', { url: hookUrl });
    assert.equal(created.status, 201);
    const { endpoint } = (await created.json()) as { endpoint: { id: string } };
    for (let i = 0; i < EVENTS; i++) {
      assert.equal((await v1(first.port, `/v1/webhooks/${endpoint.id}/test`)).status, 202);
    }
    await waitFor('requests held in flight', async () => held.length >= 3, 30_000);
    first.child.kill('SIGKILL');
    await first.exit;
    for (const res of held) res.destroy();
    hold = false;
    const { rows: stuck } = await db.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'delivered'`,
    );
    assert.ok(stuck[0]!.n > 0, 'some deliveries were cut off by the kill');
    t.diagnostic(`delivered before the kill: ${received.size}/${EVENTS}; held in flight: ${held.length}`);

    // The killed sender's claims lapse; the restarted service sends what was left.
    await waitFor(
      'the claims to lapse',
      async () => {
        const { rows } = await db.client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivering' AND claimed_until > now()`,
        );
        return rows[0]!.n === 0;
      },
      30_000,
      250,
    );
    second = await startOn(db.url, key);
    const { rows: events } = await db.client.query<{ event_id: string }>(
      'SELECT event_id FROM webhook_deliveries',
    );
    assert.equal(events.length, EVENTS);
    await waitFor('every event delivered', async () => events.every((e) => received.has(e.event_id)), 30_000);
    await waitFor(
      'every delivery recorded as delivered',
      async () => {
        const { rows } = await db.client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered'`,
        );
        return rows[0]!.n === EVENTS;
      },
      10_000,
    );
  } finally {
    first?.child.kill('SIGKILL');
    if (second) {
      second.child.kill('SIGTERM');
      await second.exit;
    }
    receiver.closeAllConnections();
    receiver.close();
    await db.drop();
  }
});
