import { defineErrors } from '../../http/errors.ts';
import { type DecodedImage, decodeImage } from '../image.ts';
import {
  canonicalFrame,
  eyeAspectRatio,
  laplacianVariance,
  meanAndClipped,
  meshBox,
  toGray,
} from './geometry.ts';
import { type FaceModels, type HumanFace, loadFaceModels } from './models.ts';
import type { Margin } from './worker.ts';

export const faceError = defineErrors({
  ERR_FACE_NOT_FOUND: { status: 422, title: 'No face was found in the image' },
  ERR_FACE_AMBIGUOUS: {
    status: 422,
    title: 'Several faces of similar size: cannot tell which one is the person',
  },
  ERR_FACE_TOO_SMALL: { status: 422, title: 'The face is too small to compare' },
  ERR_FACE_ENGINE: { status: 503, title: 'The face engine is not available' },
});

/**
 * Default decision threshold on `similarity` (see `similarityFromDistance`) and the false-accept
 * rate it stands for, estimated in `eval/faces.ts` on the shared faces set (62 photos, 13 people):
 * the impostor similarities of all 1629 cross-identity pairs (mean 0.297, sd 0.070, max 0.492)
 * fitted by a normal put FAR 1 % at 0.459 and FAR 0.1 % at 0.512; none of the 1629 reaches 0.5.
 * 0.5 is also the dlib model's own published operating point (distance 0.6). Small data: treat the
 * stated FAR as an estimate and re-measure on held-out faces.
 */
export const DEFAULT_THRESHOLD = 0.5;
export const FAR_AT_THRESHOLD = 0.001;

/** Euclidean distance between dlib descriptors mapped to 0..1 (0 → 1, ≥ 1.2 → 0), linear. */
export function similarityFromDistance(d: number): number {
  return Math.max(0, Math.min(1, 1 - d / 1.2));
}

export function descriptorDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - (b[i] ?? 0)) ** 2;
  return Math.sqrt(s);
}

export interface FaceQuality {
  /** Side of the canonical face square in source pixels (≈ 2.2 × eye-to-mouth distance). */
  face_px: number;
  sharpness: number;
  brightness: number;
  yaw_deg: number;
  pitch_deg: number;
  roll_deg: number;
  eye_openness: number;
  detector_score: number;
  mesh_score: number;
  faces_found: number;
  /** Named signals that are out of range; empty when the face is good. */
  issues: Array<
    | 'too_small'
    | 'blurred'
    | 'too_dark'
    | 'too_bright'
    | 'strong_pose'
    | 'eyes_closed'
    | 'occluded'
    | 'multiple_faces'
  >;
}

export interface AnalyzedFace {
  box: [number, number, number, number];
  /** Which detected face was used (0 = largest), and why. */
  used: { index: number; reason: 'only_face' | 'largest_face' | 'card_portrait' };
  quality: FaceQuality;
  descriptor: Float32Array;
}

export const QUALITY_LIMITS = {
  minFacePx: 80,
  refuseFacePx: 40,
  minSharpness: 12,
  dark: 55,
  bright: 215,
  maxYawDeg: 30,
  maxPitchDeg: 25,
  eyesClosed: 0.12,
  minMeshScore: 0.6,
  /** A second face at least this fraction of the largest one's area makes a selfie ambiguous. */
  ambiguousAreaRatio: 0.45,
} as const;

export interface AnalyzeOptions {
  /** 'selfie': several similar faces are refused; 'document': the largest face (portrait) is used. */
  kind?: 'selfie' | 'document' | 'auto';
}

const deg = (r: number | undefined) => ((r ?? 0) * 180) / Math.PI;

/**
 * Finds the faces and picks one (the largest; ambiguous selfies refused), with its quality and
 * descriptor. The face worker aligns and embeds the largest face in the same round trip as the
 * detection, before this thread's checks: a refused image costs one embedding more.
 */
export async function analyzeDecoded(
  models: FaceModels,
  img: DecodedImage,
  opts: AnalyzeOptions = {},
): Promise<AnalyzedFace> {
  const { faces, largest } = await models.analyze(img).catch((e: Error) => {
    throw faceError('ERR_FACE_ENGINE', `face analysis failed: ${e.message}`);
  });
  const first = faces[0];
  if (!first || !largest) throw faceError('ERR_FACE_NOT_FOUND');
  const boxes = faces.map((f) => meshBox(f.mesh));
  const area = (b: [number, number, number, number]) => b[2] * b[3];
  const box = boxes[0]!;
  // A card photo: landscape, the portrait a small part of it. Ghost images and other faces
  // printed on the card are smaller than the main portrait, so the largest face is the holder.
  const aspect = img.width / img.height;
  const looksLikeCard =
    opts.kind === 'document' ||
    (opts.kind !== 'selfie' && aspect > 1.45 && aspect < 1.75 && box[2] < 0.3 * img.width);
  let reason: AnalyzedFace['used']['reason'] = looksLikeCard ? 'card_portrait' : 'only_face';
  if (faces.length > 1 && !looksLikeCard) {
    const ratio = area(boxes[1]!) / area(box);
    if (ratio >= QUALITY_LIMITS.ambiguousAreaRatio) {
      throw faceError(
        'ERR_FACE_AMBIGUOUS',
        `${faces.length} faces found; the second largest is ${Math.round(100 * ratio)} % of the largest`,
        { faces_found: faces.length },
      );
    }
    reason = 'largest_face';
  }
  const { side } = canonicalFrame(first.mesh);
  if (side < QUALITY_LIMITS.refuseFacePx) {
    throw faceError(
      'ERR_FACE_TOO_SMALL',
      `the face is ${Math.round(side)} px; at least ${QUALITY_LIMITS.refuseFacePx} px needed`,
    );
  }
  return {
    box,
    used: { index: 0, reason },
    quality: measureQuality(first, largest.crop, side, faces.length),
    descriptor: largest.descriptor,
  };
}

/**
 * Faces with a full mesh, in the face workers; an engine failure is a 503, not a crash. A face that
 * fills the frame or is cut by its border (a tight crop, a card portrait, a head close to the
 * camera) is missed by the BlazeFace detector, which wants some context around it: on a miss the
 * image is detected again inside a border of its own edge pixels (25 % of the longer side each
 * side) and the coordinates are moved back. `margin: 'always'` looks inside that border from the
 * start: liveness frames, where a head that comes to fill the frame makes the detector lock onto
 * part of it rather than miss it. `iris` redraws the eyelids with the iris model (a quarter of the
 * detection's CPU): blinks need it; alignment does not (`canonicalFrame`).
 */
export async function detectFaces(
  models: FaceModels,
  img: DecodedImage,
  opts: { margin: Margin; iris: boolean },
): Promise<HumanFace[]> {
  return models.detect(img, opts).catch((e: Error) => {
    throw faceError('ERR_FACE_ENGINE', `detection failed: ${e.message}`);
  });
}

export async function embedCrop(models: FaceModels, crop: Uint8Array): Promise<Float32Array> {
  return models.embed(crop).catch((e: Error) => {
    throw faceError('ERR_FACE_ENGINE', `embedding failed: ${e.message}`);
  });
}

function measureQuality(face: HumanFace, crop: Uint8Array, side: number, count: number): FaceQuality {
  const gray = toGray(crop, 150, 150);
  const sharpness = laplacianVariance(gray, 150, 150, 0.25);
  const light = meanAndClipped(gray, 150, 150, 0.25);
  const angle = face.rotation?.angle;
  const ear = (eyeAspectRatio(face.mesh, 'left') + eyeAspectRatio(face.mesh, 'right')) / 2;
  const L = QUALITY_LIMITS;
  const q: FaceQuality = {
    face_px: Math.round(side),
    sharpness: round(sharpness, 1),
    brightness: round(light.mean, 1),
    yaw_deg: round(deg(angle?.yaw), 1),
    pitch_deg: round(deg(angle?.pitch), 1),
    roll_deg: round(deg(angle?.roll), 1),
    eye_openness: round(ear, 3),
    detector_score: round(face.boxScore ?? face.score, 3),
    mesh_score: round(face.faceScore ?? face.score, 3),
    faces_found: count,
    issues: [],
  };
  if (side < L.minFacePx) q.issues.push('too_small');
  if (sharpness < L.minSharpness) q.issues.push('blurred');
  if (light.mean < L.dark) q.issues.push('too_dark');
  if (light.mean > L.bright || light.brightFraction > 0.25) q.issues.push('too_bright');
  if (Math.abs(q.yaw_deg) > L.maxYawDeg || Math.abs(q.pitch_deg) > L.maxPitchDeg)
    q.issues.push('strong_pose');
  if (ear < L.eyesClosed) q.issues.push('eyes_closed');
  if (q.mesh_score < L.minMeshScore) q.issues.push('occluded');
  if (count > 1) q.issues.push('multiple_faces');
  return q;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Decoding limits for face inputs: big photos are downscaled (the mesh needs ~200 px faces). */
export const FACE_DECODE = { maxSide: 1600, minSide: 48 } as const;

export async function analyzeImage(buf: Buffer, opts: AnalyzeOptions = {}, models?: FaceModels) {
  const m = models ?? (await loadFaceModels());
  const img = await decodeImage(buf, FACE_DECODE);
  return analyzeDecoded(m, img, opts);
}

export interface CompareResult {
  similarity: number;
  match: boolean;
  threshold: number;
  far_at_threshold: number;
  distance: number;
  faces: { a: PublicFace; b: PublicFace };
}
export interface PublicFace {
  box: [number, number, number, number];
  used: AnalyzedFace['used'];
  quality: FaceQuality;
}

export function publicFace(f: AnalyzedFace): PublicFace {
  return { box: f.box, used: f.used, quality: f.quality };
}

export function compareAnalyzed(
  a: AnalyzedFace,
  b: AnalyzedFace,
  threshold = DEFAULT_THRESHOLD,
): CompareResult {
  const distance = descriptorDistance(a.descriptor, b.descriptor);
  const similarity = similarityFromDistance(distance);
  return {
    similarity: round(similarity, 4),
    match: similarity >= threshold,
    threshold,
    far_at_threshold: FAR_AT_THRESHOLD,
    distance: round(distance, 4),
    faces: { a: publicFace(a), b: publicFace(b) },
  };
}

/** 1:1 comparison of two images (either may be a whole ID card: its portrait is used). */
export async function compareImages(a: Buffer, b: Buffer, models?: FaceModels): Promise<CompareResult> {
  const m = models ?? (await loadFaceModels());
  const [fa, fb] = await analyzeBoth(a, b, m);
  return compareAnalyzed(fa, fb);
}

/**
 * Both images at once (two workers serve them side by side); if both fail, image A's error is
 * the one thrown, as if they had run one after the other.
 */
export async function analyzeBoth(
  a: Buffer,
  b: Buffer,
  models: FaceModels,
  wrap: { a?: (e: unknown) => never; b?: (e: unknown) => never } = {},
): Promise<[AnalyzedFace, AnalyzedFace]> {
  const [ra, rb] = await Promise.allSettled([
    analyzeImage(a, { kind: 'auto' }, models),
    analyzeImage(b, { kind: 'auto' }, models),
  ]);
  if (ra.status === 'rejected') throw wrap.a ? wrap.a(ra.reason) : ra.reason;
  if (rb.status === 'rejected') throw wrap.b ? wrap.b(rb.reason) : rb.reason;
  return [ra.value, rb.value];
}
