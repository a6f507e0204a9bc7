import { createHash } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import type { FaceModels } from '../../ekyc/face/models.ts';
import {
  type Action,
  type Frame,
  randomActions,
  validateFrames,
  verifyFrames,
} from '../../ekyc/liveness/engine.ts';
import { defineErrors } from '../../http/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId, randomToken } from '../../lib/ids.ts';
import {
  claimChallenge,
  findChallenge,
  insertChallenge,
  recordFrameHashes,
  saveVerdict,
} from './liveness.repo.ts';

export const challengeError = defineErrors({
  ERR_LIVENESS_CHALLENGE_NOT_FOUND: { status: 404, title: 'No such liveness challenge' },
  ERR_LIVENESS_CHALLENGE_EXPIRED: { status: 410, title: 'The liveness challenge has expired' },
  ERR_LIVENESS_CHALLENGE_USED: { status: 409, title: 'The liveness challenge was already used' },
  ERR_LIVENESS_REPLAY: { status: 409, title: 'These frames were already submitted' },
});

export const CHALLENGE_TTL_MS = 60_000;

export function createLivenessService(deps: { db: Db; clock: Clock; models: () => Promise<FaceModels> }) {
  return {
    async issue(customerId: string, apiKeyId: string, actions: Action[] = randomActions()) {
      const now = deps.clock.now();
      const c = {
        id: newId('lvc'),
        customerId,
        apiKeyId,
        actions,
        nonce: randomToken(16),
        now,
        expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
      };
      await insertChallenge(deps.db, c);
      return { id: c.id, actions, nonce: c.nonce, expires_at: c.expiresAt.toISOString() };
    },

    async verify(customerId: string, id: string, frames: Frame[]) {
      const c = await findChallenge(deps.db, customerId, id);
      if (!c) throw challengeError('ERR_LIVENESS_CHALLENGE_NOT_FOUND');
      const now = deps.clock.now();
      if (c.used_at) throw challengeError('ERR_LIVENESS_CHALLENGE_USED');
      if (now.getTime() > new Date(c.expires_at).getTime())
        throw challengeError('ERR_LIVENESS_CHALLENGE_EXPIRED');
      validateFrames(frames);
      // Single use: claimed before the (slow) analysis, so a failed or concurrent attempt burns it.
      if (!(await claimChallenge(deps.db, id, now))) throw challengeError('ERR_LIVENESS_CHALLENGE_USED');
      const hashes = frames.map((f) => createHash('sha256').update(f.image).digest('hex'));
      if ((await recordFrameHashes(deps.db, id, hashes, now)) > 0)
        throw challengeError('ERR_LIVENESS_REPLAY');
      const verdict = await verifyFrames(await deps.models(), frames, c.actions as Action[]);
      await saveVerdict(deps.db, id, verdict.live, verdict.score, verdict.checks);
      return { challenge_id: id, ...verdict };
    },
  };
}
