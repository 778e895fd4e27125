// The iris worker's surface: the main worker sends one frame's warped eye crops and gets the model's raw points back,
// both buffers transferred and returned for reuse (no per-frame allocation on either side).

export interface IrisWorkerSetup {
  /** Folder with ort-wasm-simd-threaded.wasm / .mjs. */
  assetUrl: string;
  /** iris.onnx bytes (the main worker already fetched them). */
  model: Uint8Array;
  /** ORT threads in this worker: 1, its core runs beside the main worker's. */
  numThreads: number;
  /** nn.simd.wasm bytes: Iris then runs on livecheck's kernels, as in the main worker. Null: onnxruntime. */
  kernels: Uint8Array | null;
}

export interface IrisBuffers {
  /** Faces x 2 x 64 x 64 x 3 floats (IrisModel.warpEyes). */
  input: Float32Array;
  /** Faces x 2 x 76 x 3 floats, written by the worker (IrisModel.inferEyes). */
  output: Float32Array;
  /** Faces in the buffers. */
  faces: number;
}

export interface IrisWorkerApi {
  init(setup: IrisWorkerSetup): Promise<void>;
  run(buffers: IrisBuffers): Promise<IrisBuffers>;
  close(): Promise<void>;
}

/** The iris worker's name: onnxruntime's own pthread workers are named differently. */
export const IRIS_WORKER_NAME = 'livecheck-iris';
