import { parentPort } from 'node:worker_threads';
import { alignCrop, canonicalFrame, meshBox, padInto, type RgbImage } from './geometry.ts';
import { type HumanFace, loadInProcessModels } from './models.ts';
import { foldRecognitionNet, RECOGNITION_SIZE, type RecognitionParams } from './recognition-net.ts';

/**
 * A face worker: loads the models from node_modules in its own thread and answers the pool's
 * requests: `detect` (Human's mesh of every face in an RGB image), `analyze` (the same, then the
 * largest face aligned and embedded, in one round trip) and `embed` (dlib 128-d of an aligned crop).
 */
export type WorkerCall =
  | { op: 'detect'; data: Uint8Array; width: number; height: number; margin: Margin; iris: boolean }
  | { op: 'analyze'; data: Uint8Array; width: number; height: number }
  | { op: 'embed'; data: Uint8Array };
export type WorkerRequest = WorkerCall & { id: number };
/**
 * Where BlazeFace looks: in the image, and again inside a border of its edge pixels if it found
 * nothing there (`on_miss`), or inside that border from the start (`always`). See `detectFaces`.
 */
export type Margin = 'on_miss' | 'always';
/** The largest face's canonical crop (for the quality signals) and its descriptor. */
export interface Embedded {
  crop: Uint8Array;
  descriptor: Float32Array;
}
/** `cpuMs`: the worker thread's CPU time for the request (bench reads cost apart from waiting). */
export type WorkerReply =
  | { id: number; faces: HumanFace[]; cpuMs: number }
  | { id: number; faces: HumanFace[]; largest: Embedded | null; cpuMs: number }
  | { id: number; descriptor: Float32Array; cpuMs: number }
  | { id: number; error: string };

/** The border drawn around an image for a second look, as a share of its longer side. */
const MARGIN = 0.25;

const port = parentPort;
if (!port) throw new Error('face worker started outside a worker thread');

/**
 * The float32 copy of a request's pixels, in a buffer reused by every request: tfjs copies a new
 * tensor's values into wasm memory at once, so the buffer is free again when `tensor3d` returns.
 * `set` converts bytes to floats natively: `new Float32Array(bytes)` cost ~15 ms of CPU on a
 * 640×480 image (the largest cost after the networks), allocating a fresh array each time still
 * several ms. Only images up to a 1600×1200 photo are kept (23 MB); a larger one gets its own.
 */
const SCRATCH_MAX = 1600 * 1200 * 3;
let scratch = new Float32Array(0);
function scratchOf(length: number): Float32Array {
  if (length > SCRATCH_MAX) return new Float32Array(length);
  if (scratch.length < length) scratch = new Float32Array(Math.max(length, 640 * 480 * 3));
  return scratch.subarray(0, length);
}
function asFloat32(bytes: Uint8Array): Float32Array {
  const out = scratchOf(bytes.length);
  out.set(bytes);
  return out;
}

try {
  const models = await loadInProcessModels();
  const recognition = models.faceapi.nets.faceRecognitionNet as unknown as {
    params: RecognitionParams;
    dispose(): void;
  };
  const describe = foldRecognitionNet(recognition.params);
  // The folded copy is the only one this worker runs: face-api's own tensors would be ~25 MB idle.
  recognition.dispose();
  port.postMessage({ ready: true, triangulation: models.human.faceTriangulation, loadMs: models.loadMs });
  /** Faces with a full mesh in `img`, drawn inside a border of `pad` edge pixels first. */
  const detect = async (img: RgbImage, pad: number, iris: boolean): Promise<HumanFace[]> => {
    // Float32 straight away: Human casts an int32 image to float32 anyway (one more full-image copy).
    const width = img.width + 2 * pad;
    const height = img.height + 2 * pad;
    const pixels = scratchOf(width * height * 3);
    padInto(pixels, img, pad);
    const input = models.tf.tensor3d(pixels, [height, width, 3], 'float32');
    try {
      // Human merges a call's config into its own for good: the iris flag is set on every call.
      const res = await models.human.detect(input, { face: { iris: { enabled: iris } } });
      if ('error' in res && res.error) throw new Error(String(res.error));
      return (
        ((res as { face: HumanFace[] }).face ?? [])
          .filter((f) => f.mesh && f.mesh.length >= 468)
          // Only what the engines read: the rest (annotations, raw mesh) would be cloned for nothing.
          .map((f) => ({
            box: [f.box[0] - pad, f.box[1] - pad, f.box[2], f.box[3]] as HumanFace['box'],
            mesh: pad ? f.mesh.map(([x, y, z]): [number, number, number] => [x - pad, y - pad, z]) : f.mesh,
            score: f.score,
            boxScore: f.boxScore,
            faceScore: f.faceScore,
            rotation: f.rotation ? { angle: f.rotation.angle } : null,
          }))
      );
    } finally {
      input.dispose();
    }
  };
  const findFaces = async (img: RgbImage, margin: Margin, iris: boolean) => {
    const pad = Math.round(MARGIN * Math.max(img.width, img.height));
    if (margin === 'always') return detect(img, pad, iris);
    const faces = await detect(img, 0, iris);
    return faces.length > 0 ? faces : detect(img, pad, iris);
  };
  port.on('message', async (req: WorkerRequest) => {
    const cpu = process.threadCpuUsage();
    const cpuMs = () => {
      const used = process.threadCpuUsage(cpu);
      return (used.user + used.system) / 1000;
    };
    try {
      if (req.op === 'detect') {
        const faces = await findFaces(req, req.margin, req.iris);
        port.postMessage({ id: req.id, faces, cpuMs: cpuMs() } satisfies WorkerReply);
      } else if (req.op === 'analyze') {
        // Largest first; alignment needs no iris model (`canonicalFrame`).
        const faces = (await findFaces(req, 'on_miss', false))
          .map((f) => ({ f, box: meshBox(f.mesh) }))
          .sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])
          .map(({ f }) => f);
        let largest: Embedded | null = null;
        if (faces[0]) {
          const crop = alignCrop(req, canonicalFrame(faces[0].mesh), RECOGNITION_SIZE);
          largest = { crop, descriptor: await describe(asFloat32(crop)) };
        }
        port.postMessage({ id: req.id, faces, largest, cpuMs: cpuMs() } satisfies WorkerReply);
      } else {
        const descriptor = await describe(asFloat32(req.data));
        port.postMessage({ id: req.id, descriptor, cpuMs: cpuMs() } satisfies WorkerReply);
      }
    } catch (e) {
      port.postMessage({ id: req.id, error: (e as Error).message } satisfies WorkerReply);
    }
  });
} catch (e) {
  port.postMessage({ ready: false, error: (e as Error).message });
}
