import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RgbImage } from './geometry.ts';
import type { Embedded, Margin, WorkerCall, WorkerReply } from './worker.ts';

/**
 * Loads the face models once per thread, every file from node_modules on disk:
 * - `@vladmandic/human` (BlazeFace detector, 468-point mesh + iris) through its node-wasm build;
 * - `@vladmandic/face-api`'s recognition net (dlib ResNet-34, 128-d, public-domain weights);
 * both on `@tensorflow/tfjs-backend-wasm`, whose .wasm files are read from its own dist folder.
 * No CDN default survives: the wasm path, the model base path and the weight loader are local,
 * and `file://` model URLs are served by a tfjs load router that reads the files with `fs`.
 */

const require = createRequire(import.meta.url);

/** The few tfjs calls the engines make (typed narrowly rather than importing tfjs types). */
export interface Tensor {
  shape: number[];
  dispose(): void;
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
}
export interface Tf {
  tensor3d(values: Uint8Array | Float32Array, shape: [number, number, number], dtype?: string): Tensor;
  getBackend(): string;
  memory(): { numTensors: number; numBytes: number };
  io: { registerLoadRouter(router: (url: string | string[]) => unknown): void };
}

export interface HumanFace {
  box: [number, number, number, number];
  mesh: Array<[number, number, number]>;
  score: number;
  boxScore: number;
  faceScore: number;
  rotation?: { angle: { roll: number; yaw: number; pitch: number } } | null;
}
export interface HumanResult {
  face: HumanFace[];
}
export interface Human {
  load(): Promise<void>;
  detect(
    input: Tensor,
    config?: { face: { iris: { enabled: boolean } } },
  ): Promise<HumanResult | { error: string }>;
  faceTriangulation: number[];
  tf: Tf;
}

export interface FaceApi {
  tf: unknown;
  nets: Record<string, { loadFromDisk(dir: string): Promise<void>; isLoaded: boolean }>;
  computeFaceDescriptor(input: Tensor): Promise<Float32Array | Float32Array[]>;
  // Baseline pipeline (eval/bench only): SSD MobileNet v1 + 68 landmarks + descriptor.
  detectAllFaces(
    input: Tensor,
    options: unknown,
  ): {
    withFaceLandmarks(): {
      withFaceDescriptors(): Promise<
        Array<{
          descriptor: Float32Array;
          detection: { box: { x: number; y: number; width: number; height: number } };
        }>
      >;
    };
  };
  SsdMobilenetv1Options: new (o?: { minConfidence?: number; maxResults?: number }) => unknown;
}

/**
 * The face engines' handle on the models: detection and embedding run in a pool of worker threads
 * (`worker.ts`), each holding its own copy of the models, so inference never blocks the event loop
 * and N cores serve N images at once. Requests go to the worker with the fewest in flight.
 */
export interface FaceModels {
  /** Faces with a full mesh in an RGB image, as Human returns them (`detectFaces`). */
  detect(img: RgbImage, opts: { margin: Margin; iris: boolean }): Promise<HumanFace[]>;
  /** The faces (no iris model; largest first) and the largest one's canonical crop and descriptor. */
  analyze(img: RgbImage): Promise<{ faces: HumanFace[]; largest: Embedded | null }>;
  /** The 128-d dlib descriptor of an aligned `RECOGNITION_SIZE`² RGB crop. */
  embed(crop: Uint8Array): Promise<Float32Array>;
  /** Human's mesh triangles (index triples), for rendering test heads. */
  faceTriangulation: number[];
  workers: number;
  /** CPU time the workers have spent on answered requests so far (what an image costs, without the waits). */
  workerCpuMs(): number;
  /** Wall time until every worker had its models. */
  loadMs: number;
}

/** The models in this thread: what a face worker holds (and eval/bench's in-process baseline). */
export interface InProcessModels {
  human: Human;
  faceapi: FaceApi;
  tf: Tf;
  loadMs: number;
}

const humanDist = path.dirname(require.resolve('@vladmandic/human'));
const faceapiDist = path.dirname(require.resolve('@vladmandic/face-api'));
const wasmDist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
export const HUMAN_MODEL_DIR = path.join(humanDist, '..', 'models');
export const FACEAPI_MODEL_DIR = path.join(faceapiDist, '..', 'model');

/**
 * Human's detector, mesh and iris settings: every cache and frame-skip off (each image is new).
 * The iris model is loaded, but each detect call says whether it runs (`detectFaces`): liveness
 * needs its eyelids for blinks; face compare does not (`canonicalFrame` fits rigid mesh points).
 */
export const humanConfig = {
  backend: 'wasm',
  wasmPath: `${wasmDist}/`,
  wasmPlatformFetch: false,
  modelBasePath: pathToFileURL(`${HUMAN_MODEL_DIR}/`).href,
  cacheModels: false,
  cacheSensitivity: 0,
  debug: false,
  async: true,
  warmup: 'none',
  filter: { enabled: false },
  face: {
    enabled: true,
    detector: {
      rotation: true,
      maxDetected: 6,
      minConfidence: 0.5,
      iouThreshold: 0.1,
      skipFrames: 0,
      skipTime: 0,
      return: false,
      mask: false,
    },
    mesh: { enabled: true },
    attention: { enabled: false },
    iris: { enabled: true, skipFrames: 0, skipTime: 0 },
    description: { enabled: false },
    emotion: { enabled: false },
    antispoof: { enabled: false },
    liveness: { enabled: false },
    gear: { enabled: false },
  },
  body: { enabled: false },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
} as const;

/** Serves `file://…/model.json` (graph or layers format) and its weight shards from disk. */
function fileLoadRouter(url: string | string[]) {
  if (typeof url !== 'string' || !url.startsWith('file://')) return null;
  return {
    async load() {
      const file = new URL(url).pathname;
      const json = JSON.parse(readFileSync(file, 'utf8')) as {
        modelTopology?: unknown;
        format?: string;
        generatedBy?: string;
        convertedBy?: string;
        signature?: unknown;
        userDefinedMetadata?: unknown;
        weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
      };
      const weightSpecs: unknown[] = [];
      const shards: Buffer[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) shards.push(readFileSync(path.join(path.dirname(file), p)));
      }
      const all = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

interface WasmTensorInfo {
  shape: number[];
  dtype: string;
  dataId: object;
}
type HeapArray = Float32Array | Int32Array | Uint8Array;
interface WasmKernelArgs {
  inputs: WasmTensorInfo[] | Record<string, WasmTensorInfo>;
  attrs?: { axis?: number | number[] };
  backend: {
    makeOutput(shape: number[], dtype: string): WasmTensorInfo;
    typedArrayFromHeap(t: WasmTensorInfo): HeapArray;
  };
}
interface KernelConfig {
  kernelName: string;
  backendName: string;
  kernelFunc(args: WasmKernelArgs): unknown;
}
export interface KernelRegistry {
  getKernel(name: string, backend: string): KernelConfig | undefined;
  unregisterKernel(name: string, backend: string): void;
  registerKernel(config: KernelConfig): void;
}

/**
 * tfjs-backend-wasm concatenates in JS with one `subarray().set()` per input per outer index. face-api
 * normalises every crop by concatenating three 150×150×1 mean planes on the channel axis: 67,500
 * tiny copies, about 10 ms of CPU per embedding (35 ms on a loaded machine, more than half the
 * recognition net); the engine now folds that normalisation into the net (`recognition-net.ts`),
 * but the baseline still runs it, and Human's detector joins 384-, 512- and 896-row tensors with a
 * few values per row. This kernel makes the same copy with plain loops whenever the outer dimension
 * is large, and leaves every other concat (strings, mixed or invalid shapes) to the original.
 */
export function replaceWasmConcat(tf: KernelRegistry): void {
  const original = tf.getKernel('Concat', 'wasm');
  if (!original) throw new Error('tfjs-backend-wasm has no Concat kernel to replace');
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  tf.unregisterKernel('Concat', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc(args) {
      const inputs = Object.values(args.inputs) as WasmTensorInfo[];
      const first = inputs[0];
      const rawAxis = Array.isArray(args.attrs?.axis) ? args.attrs.axis[0] : args.attrs?.axis;
      if (!first || rawAxis === undefined) return original.kernelFunc(args);
      const rank = first.shape.length;
      const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
      const parts = inputs.filter((t) => size(t.shape) > 0);
      const outer = size(first.shape.slice(0, axis));
      const consistent = inputs.every(
        (t) =>
          t.dtype === first.dtype &&
          t.shape.length === rank &&
          t.shape.every((d, i) => i === axis || d === first.shape[i]),
      );
      if (!consistent || first.dtype === 'string' || parts.length < 2 || outer < 64 || axis >= rank) {
        return original.kernelFunc(args);
      }
      const outShape = [...first.shape];
      outShape[axis] = inputs.reduce((a, t) => a + (t.shape[axis] ?? 0), 0);
      const out = args.backend.makeOutput(outShape, first.dtype);
      // Heap views are taken after the output's allocation, which may grow (and detach) the heap.
      const dst = args.backend.typedArrayFromHeap(out);
      const srcs = parts.map((t) => args.backend.typedArrayFromHeap(t));
      const inner = parts.map((t) => size(t.shape.slice(axis)));
      let o = 0;
      for (let b = 0; b < outer; b++) {
        for (let i = 0; i < srcs.length; i++) {
          const src = srcs[i]!;
          const n = inner[i]!;
          const from = b * n;
          if (n >= 32) dst.set(src.subarray(from, from + n), o);
          else for (let k = 0; k < n; k++) dst[o + k] = src[from + k]!;
          o += n;
        }
      }
      return out;
    },
  });
}

let loading: Promise<InProcessModels> | undefined;

/** The models in this thread, loaded once; later calls share the same promise. */
export function loadInProcessModels(): Promise<InProcessModels> {
  loading ??= (async () => {
    const t0 = performance.now();
    // Silences tfjs's "install tfjs-node" banner: that package downloads binaries and is not used.
    const tf = require('@tensorflow/tfjs-core') as Tf & { env(): { set(k: string, v: unknown): void } };
    const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string): void };
    wasm.setWasmPaths(`${wasmDist}/`);
    replaceWasmConcat(tf as unknown as KernelRegistry);
    tf.io.registerLoadRouter(fileLoadRouter);
    const silence = console.warn;
    console.warn = () => {};
    let humanLib: { Human: new (config: unknown) => Human };
    let faceapi: FaceApi;
    try {
      humanLib = require(path.join(humanDist, 'human.node-wasm.js'));
      faceapi = require(path.join(faceapiDist, 'face-api.node-wasm.js'));
    } finally {
      console.warn = silence;
    }
    const human = new humanLib.Human(humanConfig);
    await human.load();
    await faceapi.nets.faceRecognitionNet?.loadFromDisk(FACEAPI_MODEL_DIR);
    if (tf.getBackend() !== 'wasm') throw new Error(`tfjs backend is ${tf.getBackend()}, expected wasm`);
    return { human, faceapi, tf: human.tf, loadMs: performance.now() - t0 };
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** Loads the baseline nets (face-api SSD MobileNet v1 + 68 landmarks) for eval and bench. */
export async function loadBaseline(models: InProcessModels): Promise<void> {
  for (const net of ['ssdMobilenetv1', 'faceLandmark68Net']) {
    const n = models.faceapi.nets[net];
    if (n && !n.isLoaded) await n.loadFromDisk(FACEAPI_MODEL_DIR);
  }
}

let workerCount = availableParallelism();

/** Sets the pool size (config `EKYC_FACE_WORKERS`); takes effect when the pool first starts. */
export function setFaceWorkers(n: number): void {
  workerCount = n;
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve(r: WorkerReply): void; reject(e: Error): void }>;
  /** When the worker last answered, or was given work while idle. */
  progressAt: number;
}

/** A worker holding requests without answering any for this long is stuck: it is replaced. */
const STUCK_MS = 60_000;

let pool: Promise<FaceModels> | undefined;

/** The worker pool with every model loaded, started once; later calls share the same promise. */
export function loadFaceModels(): Promise<FaceModels> {
  pool ??= startPool(workerCount);
  pool.catch(() => {
    pool = undefined;
  });
  return pool;
}

async function startPool(size: number): Promise<FaceModels> {
  const t0 = performance.now();
  const slots: Array<Slot | undefined> = Array.from({ length: size }, () => undefined);
  let workerCpuMs = 0;
  // Resolves with the worker's first message once its models are loaded.
  const spawn = (i: number) =>
    new Promise<{ triangulation: number[] }>((resolve, reject) => {
      const worker = new Worker(new URL('./worker.ts', import.meta.url));
      // Idle workers must not keep the process alive; a worker with requests in flight does.
      worker.unref();
      const slot: Slot = { worker, pending: new Map(), progressAt: performance.now() };
      let ready = false;
      worker.on('message', (m: WorkerReply | { ready: boolean; error?: string; triangulation: number[] }) => {
        if ('ready' in m) {
          ready = m.ready;
          if (m.ready) {
            // Again: an ES-module worker's first message leaves a port referenced (Node 24), which kept
            // every process that ever loaded the models from exiting.
            worker.unref();
            slots[i] = slot;
            resolve(m);
          } else reject(new Error(`face worker failed to load its models: ${m.error}`));
          return;
        }
        const p = slot.pending.get(m.id);
        slot.pending.delete(m.id);
        slot.progressAt = performance.now();
        if (slot.pending.size === 0) worker.unref();
        if ('error' in m) p?.reject(new Error(m.error));
        else {
          workerCpuMs += m.cpuMs;
          p?.resolve(m);
        }
      });
      worker.on('error', (e) => {
        if (!ready) reject(e);
      });
      worker.on('exit', (code) => {
        if (!ready) return reject(new Error(`face worker exited with code ${code} while loading`));
        for (const p of slot.pending.values()) p.reject(new Error(`face worker exited with code ${code}`));
        // A crashed worker is replaced; requests meanwhile go to the others.
        if (slots[i] === slot) {
          slots[i] = undefined;
          spawn(i).catch(() => {});
        }
      });
    });
  const first = await Promise.all(Array.from({ length: size }, (_, i) => spawn(i)));
  // Terminating a stuck worker rejects its requests (503) and the exit handler starts a new one.
  setInterval(() => {
    for (const slot of slots) {
      if (slot && slot.pending.size > 0 && performance.now() - slot.progressAt > STUCK_MS) {
        void slot.worker.terminate();
      }
    }
  }, 5_000).unref();
  let nextId = 1;
  const call = (req: WorkerCall): Promise<WorkerReply> => {
    const live = slots.filter((s) => s !== undefined);
    const slot = live.reduce<Slot | undefined>(
      (a, b) => (a && a.pending.size <= b.pending.size ? a : b),
      undefined,
    );
    if (!slot) return Promise.reject(new Error('no face worker is running'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (slot.pending.size === 0) {
        slot.worker.ref();
        slot.progressAt = performance.now();
      }
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...req, id });
    });
  };
  return {
    async detect(img, { margin, iris }) {
      const r = await call({
        op: 'detect',
        data: img.data,
        width: img.width,
        height: img.height,
        margin,
        iris,
      });
      return 'faces' in r ? r.faces : [];
    },
    async analyze(img) {
      const r = await call({ op: 'analyze', data: img.data, width: img.width, height: img.height });
      if (!('largest' in r)) throw new Error('face worker answered without an analysis');
      return { faces: r.faces, largest: r.largest };
    },
    async embed(crop) {
      const r = await call({ op: 'embed', data: crop });
      if (!('descriptor' in r)) throw new Error('face worker answered without a descriptor');
      return r.descriptor;
    },
    faceTriangulation: first[0]!.triangulation,
    workers: size,
    workerCpuMs: () => workerCpuMs,
    loadMs: performance.now() - t0,
  };
}
