import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Action, type FrameAnalysis, type FrameSignals, judgeSignals } from './engine.ts';

/** Frames of a face that holds still except for the given per-frame yaw / pitch / eye openness. */
function analysis(rows: Array<Partial<Pick<FrameSignals, 'yaw' | 'pitch' | 'ear'>>>): FrameAnalysis {
  const signals: FrameSignals[] = rows.map((r, i) => ({
    t: i * 125,
    found: true,
    yaw: r.yaw ?? 0.5,
    pitch: r.pitch ?? 0.5,
    ear: r.ear ?? 0.3,
    iod: 60,
    track: [[100, 100]],
    mesh: [],
  }));
  return { frames: rows.length, fps: 8, signals, maxIdDist: 0.2 };
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
