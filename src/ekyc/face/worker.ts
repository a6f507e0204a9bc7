import { parentPort } from 'node:worker_threads';
import { padInto } from './geometry.ts';
import { type HumanFace, loadInProcessModels } from './models.ts';
import { foldRecognitionNet, type RecognitionParams } from './recognition-net.ts';

/**
 * A face worker: loads the models from node_modules in its own thread and answers the pool's
 * `detect` (Human mesh + iris on an RGB image, optionally inside a margin of edge pixels) and `embed` (dlib 128-d of an aligned 150 px crop) requests.
 */
export type WorkerCall =
  | { op: 'detect'; data: Uint8Array; width: number; height: number; pad?: number }
  | { op: 'embed'; data: Uint8Array };
export type WorkerRequest = WorkerCall & { id: number };
/** `cpuMs`: the worker thread's CPU time for the request (bench reads cost apart from waiting). */
export type WorkerReply =
  | { id: number; faces: HumanFace[]; cpuMs: number }
  | { id: number; descriptor: Float32Array; cpuMs: number }
  | { id: number; error: string };

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
  port.on('message', async (req: WorkerRequest) => {
    const cpu = process.threadCpuUsage();
    const cpuMs = () => {
      const used = process.threadCpuUsage(cpu);
      return (used.user + used.system) / 1000;
    };
    try {
      if (req.op === 'detect') {
        // Float32 straight away: Human casts an int32 image to float32 anyway (one more full-image copy).
        // A margin (`pad`, see `detectFaces`) is drawn straight into the same buffer.
        const pad = req.pad ?? 0;
        const width = req.width + 2 * pad;
        const height = req.height + 2 * pad;
        const pixels = scratchOf(width * height * 3);
        padInto(pixels, { data: req.data, width: req.width, height: req.height }, pad);
        const input = models.tf.tensor3d(pixels, [height, width, 3], 'float32');
        try {
          const res = await models.human.detect(input);
          if ('error' in res && res.error) throw new Error(String(res.error));
          const faces = ((res as { face: HumanFace[] }).face ?? [])
            .filter((f) => f.mesh && f.mesh.length >= 468)
            // Only what the engines read: the rest (annotations, raw mesh) would be cloned for nothing.
            .map((f) => ({
              box: [f.box[0] - pad, f.box[1] - pad, f.box[2], f.box[3]] as HumanFace['box'],
              mesh: pad ? f.mesh.map(([x, y, z]): [number, number, number] => [x - pad, y - pad, z]) : f.mesh,
              score: f.score,
              boxScore: f.boxScore,
              faceScore: f.faceScore,
              rotation: f.rotation ? { angle: f.rotation.angle } : null,
            }));
          port.postMessage({ id: req.id, faces, cpuMs: cpuMs() } satisfies WorkerReply);
        } finally {
          input.dispose();
        }
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
