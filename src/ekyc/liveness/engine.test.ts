import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Action,
  type FrameAnalysis,
  type FrameSignals,
  identityFrames,
  judgeSignals,
  LIVENESS_LIMITS,
} from './engine.ts';

/** Frames of a face that holds still except for the given per-frame yaw / pitch / eye openness. */
function analysis(rows: Array<Partial<Pick<FrameSignals, 'yaw' | 'pitch' | 'ear' | 'iod'>>>): FrameAnalysis {
  const signals: FrameSignals[] = rows.map((r, i) => ({
    t: i * 125,
    found: true,
    yaw: r.yaw ?? 0.5,
    pitch: r.pitch ?? 0.5,
    ear: r.ear ?? 0.3,
    iod: r.iod ?? 60,
    track: [[100, 100]],
    mesh: [],
  }));
  return { frames: rows.length, fps: 8, signals, maxIdDist: 0.2, moire: 0.8, frozenPairs: 0 };
}

const blinkDone = (rows: Parameters<typeof analysis>[0], actions: Action[] = ['blink']) =>
  judgeSignals(analysis(rows), actions).actions.find((a) => a.action === 'blink')!.done;

describe('liveness judgement', () => {
  test('a blink is measured against the person’s own open-eye baseline, not an absolute cut', () => {
    // Eyes that are naturally narrow (0.2) close to 0.15: 75 % of their own open level.
    const narrow = [0.2, 0.2, 0.2, 0.2, 0.15, 0.15, 0.2, 0.2, 0.2].map((ear) => ({ ear }));
    assert.equal(blinkDone(narrow), true);
    // The same eyes never closing: no blink.
    assert.equal(blinkDone(narrow.map(() => ({ ear: 0.2 }))), false);
    // Eyes that close but never open again: no blink.
    assert.equal(blinkDone([0.3, 0.3, 0.3, 0.2, 0.2, 0.2, 0.2].map((ear) => ({ ear }))), false);
  });

  test('a blink while the head sways sideways is a blink', () => {
    // Eval seed 3, amy1.png: the mesh's yaw moved 0.05–0.06 off the start pose on the closed frames.
    const rows = [
      { yaw: 0.14, ear: 0.38 },
      { yaw: 0.14, ear: 0.39 },
      { yaw: 0.14, ear: 0.39 },
      { yaw: 0.14, ear: 0.4 },
      { yaw: 0.13, ear: 0.33 },
      { yaw: 0.08, ear: 0.31 },
      { yaw: 0.12, ear: 0.33 },
      { yaw: 0.09, ear: 0.29 },
      { yaw: 0.14, ear: 0.41 },
      { yaw: 0.14, ear: 0.39 },
    ];
    assert.equal(blinkDone(rows), true);
    // Eyes that never close, swaying the same way: no blink.
    assert.equal(blinkDone(rows.map((r) => ({ ...r, ear: 0.39 }))), false);
  });

  test('eyes that look narrower only because the head is tilted up are not a blink', () => {
    const rows = [
      { ear: 0.3 },
      { ear: 0.3 },
      { ear: 0.3 },
      { pitch: 0.35, ear: 0.2 },
      { pitch: 0.3, ear: 0.21 },
      { ear: 0.3 },
      { ear: 0.3 },
    ];
    assert.equal(blinkDone(rows), false);
  });

  test('without a measurable head turn the parallax checks fail rather than pass', () => {
    const v = judgeSignals(analysis(Array.from({ length: 8 }, () => ({}))), ['blink', 'move_closer']);
    assert.equal(v.live, false);
    for (const name of ['parallax_3d', 'nose_parallax']) {
      const c = v.checks.find((x) => x.name === name)!;
      assert.equal(c.passed, false, name);
      assert.equal(c.detail, 'no head turn to measure');
    }
  });
});

/**
 * A performance of `moves` at 8 fps: 4 still frames, then each move out and back over 8 frames
 * (turns peaking at 3× the turn threshold, a look-up at 2.2×, as rendered heads do), with the
 * wobble of landmarks on a still head (±0.3 of a threshold on both axes, as measured on rendered
 * heads; more yaw than the blink's frontal window allows hides a blink) and the pitch that moves
 * along with a turn (0.8 of the look-up threshold). Moving closer peaks at 1.4× the face's size;
 * with `stayCloser` the face stays that close after it.
 */
function performance(moves: Action[], opts: { stayCloser?: boolean } = {}): FrameAnalysis {
  const L = LIVENESS_LIMITS;
  const rows: Array<{ yaw: number; pitch: number; ear: number; iod: number }> = [];
  let distance = 1;
  const wobble = (i: number) => ({
    yaw: 0.5 + 0.3 * L.turn * Math.sin(i * 1.3),
    pitch: 0.5 + 0.3 * L.lookUp * Math.sin(i * 0.7 + 1),
    ear: 0.3,
    iod: 60 * distance * (1 + 0.02 * Math.sin(i * 1.7)),
  });
  for (let i = 0; i < 4; i++) rows.push(wobble(rows.length));
  for (const m of moves) {
    const n = m === 'blink' ? 4 : 8;
    for (let i = 1; i <= n; i++) {
      const k = Math.sin((Math.PI * i) / (n + 1));
      const r = wobble(rows.length);
      if (m === 'turn_left') r.yaw += 3 * L.turn * k;
      if (m === 'turn_right') r.yaw -= 3 * L.turn * k;
      if (m === 'turn_left' || m === 'turn_right') r.pitch -= 0.8 * L.lookUp * k;
      if (m === 'look_up') r.pitch -= 2.2 * L.lookUp * k;
      if (m === 'blink' && k > 0.5) r.ear = 0.1;
      if (m === 'move_closer') r.iod *= opts.stayCloser && i > n / 2 ? 1.4 : 1 + 0.4 * k;
      rows.push(r);
    }
    if (m === 'move_closer' && opts.stayCloser) distance = 1.4;
    rows.push(wobble(rows.length));
  }
  return analysis(rows);
}

const check = (v: ReturnType<typeof judgeSignals>, name: string) => v.checks.find((c) => c.name === name)!;

describe('unrequested head movements', () => {
  test('a genuine performance with head wobble passes: the wobble and a turn’s tilt are no actions', () => {
    for (const moves of [
      ['turn_left', 'look_up'],
      ['look_up', 'blink', 'turn_right'],
      ['blink', 'turn_right'],
    ] as Action[][]) {
      const v = judgeSignals(performance(moves), moves);
      assert.equal(check(v, 'actions_in_order').passed, true, moves.join());
      assert.equal(
        check(v, 'no_unrequested_actions').passed,
        true,
        check(v, 'no_unrequested_actions').detail,
      );
    }
  });

  test('an extra turn between, before or after the requested actions fails its own check', () => {
    for (const [asked, made] of [
      [
        ['turn_left', 'look_up'],
        ['turn_left', 'turn_right', 'look_up'],
      ],
      [
        ['turn_left', 'blink'],
        ['look_up', 'turn_left', 'blink'],
      ],
      [
        ['turn_right', 'look_up'],
        ['turn_right', 'look_up', 'turn_left'],
      ],
      // The requested turn made twice: the second is unrequested.
      [
        ['turn_right', 'blink'],
        ['turn_right', 'blink', 'turn_right'],
      ],
    ] as Array<[Action[], Action[]]>) {
      const v = judgeSignals(performance(made), asked);
      // The order check alone accepts these: the requested actions are all there, in order.
      assert.equal(check(v, 'actions_in_order').passed, true, made.join());
      const c = check(v, 'no_unrequested_actions');
      assert.equal(c.passed, false, made.join());
      assert.equal(v.live, false);
    }
  });

  test('moving closer when asked is one movement, also when the face stays close for the turns after it', () => {
    for (const stayCloser of [false, true]) {
      const moves: Action[] = ['move_closer', 'turn_left', 'turn_right'];
      const v = judgeSignals(performance(moves, { stayCloser }), moves);
      assert.equal(check(v, 'actions_in_order').passed, true, `stayCloser ${stayCloser}`);
      const c = check(v, 'no_unrequested_actions');
      assert.equal(c.passed, true, `stayCloser ${stayCloser}: ${c.detail}`);
    }
  });

  test('moving closer when nobody asked is an unrequested movement', () => {
    const v = judgeSignals(performance(['turn_left', 'move_closer', 'blink']), ['turn_left', 'blink']);
    assert.equal(check(v, 'actions_in_order').passed, true);
    assert.equal(check(v, 'no_unrequested_actions').passed, false);
    assert.match(check(v, 'no_unrequested_actions').detail!, /^move_closer at /);
  });

  test('a recording of another challenge replayed against this one fails', () => {
    const recordedFor: Action[] = ['turn_right', 'turn_left', 'blink'];
    const v = judgeSignals(performance(recordedFor), ['turn_left', 'blink']);
    assert.equal(check(v, 'actions_in_order').passed, true);
    assert.equal(check(v, 'no_unrequested_actions').passed, false);
    assert.match(check(v, 'no_unrequested_actions').detail!, /^turn_right at /);
  });

  test('a one-frame landmark jump is no action; two frames past the entry level are', () => {
    const still = Array.from({ length: 10 }, () => ({ yaw: 0.5 }));
    const spike = still.map((r, i) => (i === 5 ? { yaw: 0.5 - 3 * LIVENESS_LIMITS.turn } : r));
    const asked: Action[] = ['blink', 'move_closer'];
    assert.equal(check(judgeSignals(analysis(spike), asked), 'no_unrequested_actions').passed, true);
    const twice = spike.map((r, i) => (i === 6 ? { yaw: 0.5 - 2 * LIVENESS_LIMITS.turn } : r));
    assert.equal(check(judgeSignals(analysis(twice), asked), 'no_unrequested_actions').passed, false);
  });
});

describe('same-face frames', () => {
  test('one frame from each fifth, the one nearest the first frame’s pose, the first frame first', () => {
    // 20 frames: still at yaw 0.5, then a turn out to 0.8 and back in every fifth but the first.
    const yaw = [
      0.5, 0.5, 0.5, 0.5, 0.6, 0.8, 0.7, 0.55, 0.6, 0.8, 0.75, 0.52, 0.7, 0.8, 0.6, 0.51, 0.8, 0.7, 0.6, 0.8,
    ];
    const sig = yaw.map((y) => ({ found: true, yaw: y, pitch: 0.5 }));
    // A frame without a face is never picked, and the fifths are of the 19 frames with one:
    // 0–2, 3–6, 7–10, 12–15, 16–19. Evenly spaced frames would be 0, 5, 9, 15, 19: three at the turn's peak.
    sig[11] = { found: false, yaw: 0.5, pitch: 0.5 };
    assert.deepEqual(identityFrames(sig), [0, 3, 7, 15, 18]);
    assert.deepEqual(identityFrames([]), []);
  });
});
