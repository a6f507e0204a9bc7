import { randomInt } from 'node:crypto';
import { defineErrors } from '../../http/errors.ts';
import { descriptorDistance, detectFaces, embedCrop } from '../face/engine.ts';
import {
  alignCrop,
  canonicalFrame,
  dist,
  eyeAspectRatio,
  keypoints,
  MESH,
  meshPoint,
  type Point,
  TRACK_POINTS,
} from '../face/geometry.ts';
import type { FaceModels, HumanFace } from '../face/models.ts';
import { RECOGNITION_SIZE } from '../face/recognition-net.ts';
import { decodeImage } from '../image.ts';
import { frozenPairs, PASSIVE_LIMITS, screenMoire } from './passive.ts';
import { median, planeResiduals } from './planar.ts';

/**
 * Active liveness: a server-issued random sequence of actions, checked on the frames the client
 * captured, plus a parallax test (a flat photo or a screen moves like a plane: its landmark
 * tracks fit one homography; a real head does not), identity consistency and continuity.
 * Sign convention: the camera image is NOT mirrored; `turn_left` is the person's own left, which
 * moves their nose towards the image's right edge.
 */
export const ACTIONS = ['turn_left', 'turn_right', 'look_up', 'blink', 'move_closer'] as const;
export type Action = (typeof ACTIONS)[number];
const POSE_ACTIONS: readonly Action[] = ['turn_left', 'turn_right', 'look_up'];
/** Actions seen as an excursion from the start pose (a blink is not: the eyes only close). */
const MOVEMENTS: readonly Action[] = [...POSE_ACTIONS, 'move_closer'];

export const livenessError = defineErrors({
  ERR_LIVENESS_FRAMES_COUNT: { status: 400, title: 'Too few or too many frames' },
  ERR_LIVENESS_FRAMES_ORDER: { status: 400, title: 'Frame timestamps are missing or not increasing' },
  ERR_LIVENESS_FRAME_RATE: { status: 400, title: 'Frames are too sparse (at least 4 per second needed)' },
  ERR_LIVENESS_NO_FACE: { status: 422, title: 'No face in too many frames' },
  ERR_LIVENESS_FACE_CHANGED: { status: 422, title: 'The frames show more than one person' },
});

/** 2–3 distinct actions, at least one a head pose change (the parallax test needs one). */
export function randomActions(rand: (n: number) => number = randomInt): Action[] {
  const n = 2 + rand(2);
  for (;;) {
    const pool = [...ACTIONS];
    const out: Action[] = [];
    while (out.length < n) out.push(pool.splice(rand(pool.length), 1)[0]!);
    if (out.some((a) => POSE_ACTIONS.includes(a))) return out;
  }
}

export const LIVENESS_LIMITS = {
  minFrames: 5,
  maxFrames: 90,
  minFps: 4,
  maxDurationMs: 30_000,
  turn: 0.09,
  lookUp: 0.1,
  /** Blink: eye openness relative to the person's own open-eye baseline (near-frontal frames). */
  blinkClosed: 0.82,
  blinkOpen: 0.92,
  /** Frames within this yaw / pitch of the start pose count as frontal for the blink baseline. */
  frontalYaw: 0.03,
  /**
   * A closed eye counts on frames turned up to this far from the start pose (pitch still within
   * `frontalPitch`): a turn narrows the eye's width, not its lid gap, so it can only raise the
   * openness, never fake a blink; rendered heads sway by up to 0.06 while they blink.
   */
  blinkYaw: 0.08,
  frontalPitch: 0.04,
  closer: 1.2,
  /** Same person: dlib distance between any sampled frame and the first (0.6 is dlib's match). */
  sameFaceDistance: 0.6,
  /**
   * Planar: median residual of all 468 mesh points to one robust homography, as a fraction of the
   * face width (median over the turned frames). A plane stays at landmark noise (~0.005–0.008 on
   * warped prints), a head turning ≥ 0.06 leaves ~0.017–0.02.
   */
  planarResidual: 0.011,
  /**
   * Nose parallax: how far the nose leaves the plane of the face outline, per unit of turn (face
   * widths per yaw/pitch unit, median over turned frames): ~0.1–0.2 for a plane, 0.35–0.6 for a head.
   */
  noseParallax: 0.25,
  /** Pose change (nose offset) needed before the parallax test says anything. */
  parallaxMinTurn: 0.06,
  /** Turned frames needed before the parallax medians are trusted. */
  parallaxMinFrames: 3,
  /** A jump of landmarks between consecutive frames larger than this × IOD is a cut. */
  cutJump: 0.6,
  /**
   * An unrequested movement, in units of that action's own threshold (`turn`, `lookUp`, and
   * `closer` − 1 for the face's growth): it must reach `extraEnter` (a look-up `extraEnterLookUp`)
   * on `extraFrames` consecutive frames, and the episode lasts until it falls below `extraExit`
   * (hysteresis: one wobble is one episode). Measured on rendered heads, frames detected inside
   * a margin (7 heads): a 0.45 rad turn peaks at 2.3–4.3, a 0.4 rad look-up at 1.35–2.0, moving
   * 1.4× closer at 1.9–2.4; still frames wobble by up to 0.7 (yaw) and 0.35 (pitch); the pitch
   * moves along with a turn by up to 1.3, but the turn, larger, names those frames. A turn makes
   * the face narrower, never closer.
   */
  extraEnter: 1.5,
  extraEnterLookUp: 1.2,
  extraExit: 0.75,
  extraFrames: 2,
} as const;

export interface Frame {
  image: Buffer;
  /** Capture time in ms (any origin), strictly increasing. */
  t: number;
}

export interface FrameSignals {
  t: number;
  found: boolean;
  /** Nose position between the face's edges: 0.5 frontal, larger = nose towards image right. */
  yaw: number;
  /** Nose below the eye line, as a fraction of the eye-to-mouth height: smaller = looking up. */
  pitch: number;
  ear: number;
  iod: number;
  track: Point[];
  /** All 468 mesh points (image pixels): the planar / nose-parallax tests use them. */
  mesh: Point[];
}

export interface Check {
  name: string;
  passed: boolean;
  detail?: string;
  value?: number;
}

export interface LivenessVerdict {
  live: boolean;
  score: number;
  checks: Check[];
  actions: Array<{ action: Action; done: boolean; at_ms: number | null }>;
  signals: {
    frames: number;
    fps: number;
    parallax_residual: number | null;
    nose_parallax: number | null;
    max_identity_distance: number;
    /** Passive signals (`passive.ts`): reported, never deciding `live` on their own. */
    screen_moire: number | null;
    frozen_frame_pairs: number;
    passive_warnings: Array<'screen_moire' | 'frozen_frames'>;
  };
}

function frameSignals(face: HumanFace, t: number): FrameSignals {
  const m = (i: number) => meshPoint(face.mesh, i);
  const k = keypoints(face.mesh);
  const right = m(MESH.cheekRight);
  const left = m(MESH.cheekLeft);
  const eyeMid: Point = [(k.rightEye[0] + k.leftEye[0]) / 2, (k.rightEye[1] + k.leftEye[1]) / 2];
  const span = left[0] - right[0];
  return {
    t,
    found: true,
    yaw: span !== 0 ? (k.nose[0] - right[0]) / span : 0.5,
    pitch: (k.nose[1] - eyeMid[1]) / Math.max(1, k.mouth[1] - eyeMid[1]),
    ear: (eyeAspectRatio(face.mesh, 'left') + eyeAspectRatio(face.mesh, 'right')) / 2,
    iod: dist(k.rightEye, k.leftEye),
    track: TRACK_POINTS.map((i) => m(i)),
    mesh: Array.from({ length: 468 }, (_, i) => m(i)),
  };
}

/** Count, order and rate of the frames: checked before a challenge is spent on them. */
export function validateFrames(frames: Frame[]): { fps: number; duration: number } {
  const L = LIVENESS_LIMITS;
  if (frames.length < L.minFrames || frames.length > L.maxFrames) {
    throw livenessError('ERR_LIVENESS_FRAMES_COUNT', `send ${L.minFrames}–${L.maxFrames} frames`);
  }
  for (let i = 1; i < frames.length; i++) {
    if (!(frames[i]!.t > frames[i - 1]!.t)) throw livenessError('ERR_LIVENESS_FRAMES_ORDER');
  }
  const duration = frames.at(-1)!.t - frames[0]!.t;
  const fps = ((frames.length - 1) * 1000) / Math.max(1, duration);
  if (fps < L.minFps || duration > L.maxDurationMs) throw livenessError('ERR_LIVENESS_FRAME_RATE');
  return { fps, duration };
}

/** Checks the frames against the challenge's actions; throws only for malformed input. */
export async function verifyFrames(
  models: FaceModels,
  frames: Frame[],
  actions: readonly Action[],
): Promise<LivenessVerdict> {
  const a = await analyseFrames(models, frames);
  return judgeSignals(a, actions);
}

export interface FrameAnalysis {
  frames: number;
  fps: number;
  signals: FrameSignals[];
  maxIdDist: number;
  /** Peak of the face's spectrum over the identity frames (log10 ratio), null for tiny faces. */
  moire: number | null;
  frozenPairs: number;
}

/**
 * The frames whose faces are compared for the same-face check: one from each fifth of the sequence
 * (a swap anywhere shows), within a fifth the one nearest the first frame's pose, the first frame
 * itself first. A face turned away embeds farther from itself: with evenly spaced frames instead, a
 * strongly turned rendered head (eval seed 2, john1) went over the same-face limit.
 */
export function identityFrames(sig: ReadonlyArray<Pick<FrameSignals, 'found' | 'yaw' | 'pitch'>>): number[] {
  const idx = sig.map((s, i) => (s.found ? i : -1)).filter((i) => i >= 0);
  const first = sig[idx[0] ?? 0];
  if (!first) return [];
  const offPose = (i: number) => Math.abs(sig[i]!.yaw - first.yaw) + Math.abs(sig[i]!.pitch - first.pitch);
  return [0, 1, 2, 3, 4]
    .map((k) => idx.slice(Math.floor((k * idx.length) / 5), Math.floor(((k + 1) * idx.length) / 5)))
    .filter((part) => part.length > 0)
    .map((part) => part.reduce((a, b) => (offPose(b) < offPose(a) ? b : a)));
}

/** Detection, landmarks and identity per frame (the model-bound part of verification). */
export async function analyseFrames(models: FaceModels, frames: Frame[]): Promise<FrameAnalysis> {
  const L = LIVENESS_LIMITS;
  const { fps } = validateFrames(frames);

  // All frames at once: the face workers share them out, one per core.
  const decoded = await Promise.all(
    frames.map(async (f) => {
      const img = await decodeImage(f.image, { maxSide: 640, minSide: 64 });
      const found = await detectFaces(models, img, { margin: 'always', iris: true });
      const face = found.sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])[0];
      return { img, face };
    }),
  );
  const faces = decoded.map(({ img, face }) => (face ? { face, img } : null));
  const sig: FrameSignals[] = faces.map((f, i) =>
    f
      ? frameSignals(f.face, frames[i]!.t)
      : { t: frames[i]!.t, found: false, yaw: 0, pitch: 0, ear: 0, iod: 0, track: [], mesh: [] },
  );
  const present = sig.filter((s) => s.found);
  if (present.length < Math.max(L.minFrames, 0.8 * frames.length))
    throw livenessError('ERR_LIVENESS_NO_FACE');

  // Identity: all the identity frames must show the first one's person.
  const picks = identityFrames(sig);
  const descs = await Promise.all(
    picks.map((i) => {
      const f = faces[i]!;
      return embedCrop(models, alignCrop(f.img, canonicalFrame(f.face.mesh), RECOGNITION_SIZE));
    }),
  );
  const maxIdDist = Math.max(0, ...descs.slice(1).map((d) => descriptorDistance(descs[0]!, d)));
  if (maxIdDist > L.sameFaceDistance) {
    throw livenessError('ERR_LIVENESS_FACE_CHANGED', 'the face changes between frames');
  }
  const moire = screenMoire(picks.map((i) => ({ img: faces[i]!.img, box: faces[i]!.face.box })));
  const frozen = frozenPairs(decoded.map((d) => d.img));
  return {
    frames: frames.length,
    fps,
    signals: sig,
    maxIdDist,
    moire: moire?.ratio ?? null,
    frozenPairs: frozen,
  };
}

/** The verdict from the per-frame signals (pure: no models, no clock). */
export function judgeSignals(a: FrameAnalysis, actions: readonly Action[]): LivenessVerdict {
  const L = LIVENESS_LIMITS;
  const { fps, maxIdDist } = a;
  const present = a.signals.filter((s) => s.found);
  const checks: Check[] = [];
  // Continuity: no frame-to-frame jump of the whole face larger than cutJump × IOD.
  let maxJump = 0;
  for (let i = 1; i < present.length; i++) {
    const a = present[i - 1]!;
    const b = present[i]!;
    let s = 0;
    for (let j = 0; j < a.track.length; j++) s += dist(a.track[j]!, b.track[j]!);
    maxJump = Math.max(maxJump, s / a.track.length / Math.max(1, a.iod));
  }
  checks.push({ name: 'continuity', passed: maxJump <= L.cutJump, value: round(maxJump) });
  checks.push({ name: 'same_face', passed: true, value: round(maxIdDist) });

  // Actions in order, each after the previous one.
  const head = present.slice(0, 3);
  const base = {
    yaw: median(head.map((s) => s.yaw)),
    pitch: median(head.map((s) => s.pitch)),
    ear: median(head.map((s) => s.ear)),
    iod: median(head.map((s) => s.iod)),
  };
  // The person's own open-eye baseline: median openness over the frames near the start pose (eye
  // openness also changes with pitch and yaw, so only those frames are compared for a blink).
  const nearStart = (s: FrameSignals, maxYaw: number) =>
    Math.abs(s.yaw - base.yaw) <= maxYaw && Math.abs(s.pitch - base.pitch) <= L.frontalPitch;
  const earBase = median(present.filter((s) => nearStart(s, L.frontalYaw)).map((s) => s.ear)) || base.ear;
  const done: LivenessVerdict['actions'] = [];
  let from = 0;
  for (const action of actions) {
    let at = -1;
    for (let i = from; i < present.length && at < 0; i++) {
      const s = present[i]!;
      if (action === 'turn_left' && s.yaw - base.yaw >= L.turn) at = i;
      if (action === 'turn_right' && base.yaw - s.yaw >= L.turn) at = i;
      if (action === 'look_up' && base.pitch - s.pitch >= L.lookUp) at = i;
      if (action === 'move_closer' && s.iod >= L.closer * base.iod) at = i;
      if (action === 'blink' && nearStart(s, L.blinkYaw) && s.ear <= L.blinkClosed * earBase) {
        for (let j = i + 1; j < present.length; j++) {
          if (present[j]!.ear >= L.blinkOpen * earBase) {
            at = j;
            break;
          }
        }
      }
    }
    done.push({ action, done: at >= 0, at_ms: at >= 0 ? present[at]!.t - present[0]!.t : null });
    if (at < 0) break;
    from = at + 1;
  }
  for (const a of actions.slice(done.length)) done.push({ action: a, done: false, at_ms: null });
  checks.push({
    name: 'actions_in_order',
    passed: done.every((d) => d.done),
    detail: done.map((d) => `${d.action}:${d.done ? 'ok' : 'missing'}`).join(','),
  });

  // A recording of another challenge, or of every action in turn, shows the requested actions in
  // order with others in between: every clear movement (head pose or distance) must be one of the
  // requested movements, in their order, each at most once.
  const wanted = actions.filter((x) => MOVEMENTS.includes(x));
  const extra: PoseEpisode[] = [];
  let next = 0;
  for (const ep of movementEpisodes(present, base)) {
    const j = wanted.indexOf(ep.action, next);
    if (j < 0) extra.push(ep);
    else next = j + 1;
  }
  checks.push({
    name: 'no_unrequested_actions',
    passed: extra.length === 0,
    value: extra.length,
    detail: extra.length
      ? extra.map((e) => `${e.action} at ${e.at_ms} ms (${e.peak.toFixed(1)}× its threshold)`).join(', ')
      : 'only requested head movements',
  });

  // Parallax: between the reference (first) frame and every frame turned away from it, (1) do all
  // mesh points fit one homography, and (2) does the nose stay on the outline's plane? Medians over
  // all turned frames decide, so one badly placed frame neither fakes nor hides depth.
  const ref = present[0]!;
  const planarR: number[] = [];
  const noseR: number[] = [];
  for (const s of present.slice(1)) {
    const turned = Math.max(Math.abs(s.yaw - ref.yaw), Math.abs(s.pitch - ref.pitch));
    if (turned < L.parallaxMinTurn) continue;
    const r = planeResiduals(ref.mesh, s.mesh);
    if (!r) continue;
    planarR.push(r.planar);
    noseR.push(r.nose / turned);
  }
  // A real turn lasts several frames; one or two frames where the landmark net reads a turn into
  // a warped print are not enough to measure depth on.
  const enough = planarR.length >= L.parallaxMinFrames;
  const parallax = enough ? median(planarR) : null;
  const nose = enough ? median(noseR) : null;
  const flat =
    parallax === null || nose === null
      ? 'no head turn to measure'
      : parallax <= L.planarResidual
        ? 'planar motion'
        : '3d';
  checks.push({
    name: 'parallax_3d',
    passed: flat === '3d',
    value: parallax === null ? undefined : round(parallax),
    detail: flat,
  });
  checks.push({
    name: 'nose_parallax',
    passed: nose !== null && nose > L.noseParallax,
    value: nose === null ? undefined : round(nose),
    detail:
      nose === null
        ? 'no head turn to measure'
        : nose > L.noseParallax
          ? '3d'
          : 'nose moves with the face plane',
  });

  const passed = checks.filter((c) => c.passed).length;
  const warnings: LivenessVerdict['signals']['passive_warnings'] = [];
  if (a.moire !== null && a.moire > PASSIVE_LIMITS.moireWarn) warnings.push('screen_moire');
  if (a.frozenPairs > 0) warnings.push('frozen_frames');
  return {
    live: checks.every((c) => c.passed),
    score: round(passed / checks.length),
    checks,
    actions: done,
    signals: {
      frames: a.frames,
      fps: round(fps),
      parallax_residual: parallax === null ? null : round(parallax),
      nose_parallax: nose === null ? null : round(nose),
      max_identity_distance: round(maxIdDist),
      screen_moire: a.moire === null ? null : round(a.moire),
      frozen_frame_pairs: a.frozenPairs,
      passive_warnings: warnings,
    },
  };
}

interface PoseEpisode {
  action: Action;
  at_ms: number;
  peak: number;
}

/**
 * Clear movements away from the start pose, in time order. Head pose: at each frame the pose action
 * with the largest excursion (in units of its own threshold) is the one being made. Distance
 * (`move_closer`, the face's size against the start's, in units of `closer` − 1) is tracked on
 * its own: a head can turn while it is closer, and a requested move closer must not be cut in two
 * by the turns made afterwards.
 */
function movementEpisodes(present: FrameSignals[], base: { yaw: number; pitch: number; iod: number }) {
  const L = LIVENESS_LIMITS;
  const pose = present.map((s): [Action, number, number] => {
    const ex: Array<[Action, number]> = [
      ['turn_left', (s.yaw - base.yaw) / L.turn],
      ['turn_right', (base.yaw - s.yaw) / L.turn],
      ['look_up', (base.pitch - s.pitch) / L.lookUp],
    ];
    const [action, v] = ex.reduce((a, b) => (b[1] > a[1] ? b : a));
    return [action, v, s.t];
  });
  const distance = present.map((s): [Action, number, number] => [
    'move_closer',
    (s.iod / Math.max(1, base.iod) - 1) / (L.closer - 1),
    s.t,
  ]);
  const t0 = present[0]?.t ?? 0;
  return [...episodes(pose, t0), ...episodes(distance, t0)].sort((a, b) => a.at_ms - b.at_ms);
}

/**
 * Hysteresis over per-frame (action, excursion, time): an episode opens at `extraExit`, closes below
 * it or when another action takes over, and counts only if it held `extraEnter` on `extraFrames`
 * consecutive frames (a one-frame landmark glitch is no action).
 */
function episodes(samples: Array<[Action, number, number]>, t0: number): PoseEpisode[] {
  const L = LIVENESS_LIMITS;
  const out: PoseEpisode[] = [];
  let cur: { action: Action; start: number; run: number; longest: number; peak: number } | null = null;
  const close = () => {
    if (cur && cur.longest >= L.extraFrames) {
      out.push({ action: cur.action, at_ms: cur.start, peak: round(cur.peak) });
    }
    cur = null;
  };
  for (const [action, v, t] of samples) {
    if (cur && (cur.action !== action || v < L.extraExit)) close();
    if (!cur && v >= L.extraExit) cur = { action, start: t - t0, run: 0, longest: 0, peak: v };
    if (cur) {
      cur.run = v >= (action === 'look_up' ? L.extraEnterLookUp : L.extraEnter) ? cur.run + 1 : 0;
      cur.longest = Math.max(cur.longest, cur.run);
      cur.peak = Math.max(cur.peak, v);
    }
  }
  close();
  return out;
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
