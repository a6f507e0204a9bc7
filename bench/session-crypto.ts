/**
 * `npm run bench -- session-crypto [n]`: what sealing session personal data costs a request,
 * measured side by side in one run on PGlite (in process, `app.inject`):
 *  1. `PUT /v1/sessions/{id}/selfie` end to end vs the envelope seal of the same JPEG alone;
 *  2. reading a session's uploads: the plain slot query vs the query that also reads each upload's
 *     data key from the ciphertext header (the crypto-shredding check of `GET /v1/sessions/{id}`);
 *  3. `GET /v1/sessions/{id}` of a decided session (opens the sealed result) vs one without uploads.
 * Prints medians; asserts nothing.
 */
import { envelopeFor } from '../src/lib/crypto/keys.ts';
import { publicApiOf } from '../src/modules/sessions/sessions.routes.ts';
import { UPLOAD_KEY_ID_SQL } from '../src/modules/sessions/sessions.service.ts';
import { multipartFile, sharedFace } from '../src/modules/sessions/test-helpers.ts';
import { createTestApp } from '../test/app.ts';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function time(n: number, f: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) await f(); // warm-up
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

export async function run(args: string[]) {
  const n = Number(args[0] ?? 30);
  const selfie = sharedFace('face_recognition_examples/knn_examples/train/obama/obama2.jpg');
  const reference = sharedFace('face_recognition_examples/knn_examples/train/obama/obama.jpg');
  const t = await createTestApp();
  try {
    const auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
    const create = async (checks: string[]) =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: auth,
          payload: { reference_id: 'bench', checks },
        })
      ).json().id as string;
    const put = async (id: string, path: string, file: Buffer) => {
      const m = multipartFile(file);
      const res = await t.app.inject({
        method: 'PUT',
        url: `/v1/sessions/${id}/${path}`,
        headers: { ...auth, 'content-type': m.contentType },
        payload: m.payload,
      });
      if (res.statusCode !== 200) throw new Error(`upload ${res.statusCode}: ${res.body}`);
    };
    const envelope = await envelopeFor(t.ctx);
    const customer = t.seed.demoCustomerId!;

    const open = await create(['face']);
    const decided = await create(['face']);
    await put(decided, 'documents/front', reference);
    await put(decided, 'selfie', selfie);
    await t.app.inject({ method: 'POST', url: `/v1/sessions/${decided}/submit`, headers: auth });
    await publicApiOf(t.ctx).sessions.process(decided);
    const empty = await create(['face']);

    const rows: Array<[string, number]> = [];
    rows.push([
      `PUT selfie (${Math.round(selfie.length / 1024)} kB JPEG), end to end`,
      await time(n, () => put(open, 'selfie', selfie)),
    ]);
    rows.push([
      '  of which: envelope seal of the same bytes',
      await time(n, () => envelope.seal(customer, `upload:${open}/selfie`, selfie)),
    ]);
    rows.push([
      'uploads query, plain',
      await time(n, () =>
        t.db.query('SELECT slot, created_at FROM session_uploads WHERE session_id = $1 ORDER BY slot', [
          decided,
        ]),
      ),
    ]);
    rows.push([
      'uploads query + data key status from the ciphertext header',
      await time(n, () =>
        t.db.query(
          `SELECT u.slot, u.created_at, k.status FROM session_uploads u
             LEFT JOIN data_keys k ON k.id = ${UPLOAD_KEY_ID_SQL}
            WHERE u.session_id = $1 ORDER BY u.slot`,
          [decided],
        ),
      ),
    ]);
    const get = (id: string) => async () => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: auth });
      if (res.statusCode !== 200) throw new Error(`GET ${res.statusCode}`);
    };
    rows.push(['GET decided session (2 sealed uploads, sealed result)', await time(n, get(decided))]);
    rows.push(['GET session without uploads or result', await time(n, get(empty))]);

    console.log(`n = ${n} per row (median ms), PGlite in process\n`);
    console.log('| operation | median ms |');
    console.log('|---|---:|');
    for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(3)} |`);
  } finally {
    await t.close();
  }
}
