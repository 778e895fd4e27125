// Model bytes -> onnxruntime sessions. onnxruntime is injected (Node passes `onnxruntime-web` or, on a server that
// has it, `onnxruntime-node`; the browser worker `onnxruntime-web/wasm`), so this module never decides which ORT
// build ships.
import type * as Ort from 'onnxruntime-web';
import { LivecheckError } from '../errors.js';
// a file path in Node, a URL anywhere: the package's `imports` map picks the reader by condition (`node` or default)
import { readModelSource } from '#read-model';

export type OrtModule = typeof Ort;
export type OrtSession = Ort.InferenceSession;

/** Model bytes, or where to get them: a file path (Node) or a URL (fetch). */
export type ModelSource = ArrayBuffer | Uint8Array | string | URL;

export interface SessionOptions {
  /** onnxruntime-web wasm threads (>1 needs crossOriginIsolated in browsers; default: ORT's own choice), or
   *  onnxruntime-node's intra-op threads (default 1: a server runs one verification per core). */
  numThreads?: number;
}

/** onnxruntime-node (native CPU kernels) rather than a wasm build: only it lists its backends. */
export function isNativeOrt(ort: OrtModule): boolean {
  return typeof (ort as { listSupportedBackends?: unknown }).listSupportedBackends === 'function';
}

function sourceName(source: ModelSource, name?: string): string {
  if (name) return name;
  return typeof source === 'string' ? source : source instanceof URL ? source.href : '<bytes>';
}

/** Reads model bytes, throwing `model-missing` naming the file when it cannot be read. */
export async function loadModelBytes(source: ModelSource, name?: string): Promise<Uint8Array> {
  const file = sourceName(source, name);
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  try {
    return await readModelSource(source instanceof URL ? source.href : source);
  } catch (cause) {
    throw new LivecheckError('model-missing', `model file ${file} could not be read: ${(cause as Error).message}`, { file }, { cause });
  }
}

/** Creates an inference session, throwing `model-corrupt` naming the file when ORT cannot parse it. */
export async function createSession(ort: OrtModule, source: ModelSource, options: SessionOptions = {}, name?: string): Promise<OrtSession> {
  const file = sourceName(source, name);
  const bytes = await loadModelBytes(source, file);
  if (bytes.byteLength === 0) throw new LivecheckError('model-corrupt', `model file ${file} is empty`, { file });
  const native = isNativeOrt(ort);
  if (!native && options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
  const backend = native ? { executionProviders: ['cpu'], intraOpNumThreads: options.numThreads ?? 1, interOpNumThreads: 1, executionMode: 'sequential' as const } : { executionProviders: ['wasm'] };
  try {
    // logSeverityLevel 3: ORT's warnings about unused initialisers in published models are noise to our users
    return await ort.InferenceSession.create(bytes, { ...backend, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  } catch (cause) {
    throw new LivecheckError('model-corrupt', `model file ${file} could not be loaded by onnxruntime: ${(cause as Error).message}`, { file }, { cause });
  }
}

/** Static shape of a session input, or undefined where the model leaves it symbolic. */
export function inputShape(session: OrtSession, index = 0): number[] | undefined {
  const meta = (session as unknown as { inputMetadata?: ReadonlyArray<{ isTensor: boolean; shape?: ReadonlyArray<number | string> }> }).inputMetadata?.[index];
  if (!meta?.isTensor || !meta.shape) return undefined;
  return meta.shape.map((d) => (typeof d === 'number' ? d : -1));
}

/** Output names with their static element counts (batch 1), for picking outputs by shape rather than by name. */
export function outputSizes(session: OrtSession): Array<{ name: string; size: number; lastDim: number }> {
  const metas = (session as unknown as { outputMetadata?: ReadonlyArray<{ name: string; isTensor: boolean; shape?: ReadonlyArray<number | string> }> }).outputMetadata;
  return session.outputNames.map((name, i) => {
    const shape = metas?.[i]?.shape ?? [];
    const dims = shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    return { name, size: dims.reduce((a, b) => a * b, 1), lastDim: dims[dims.length - 1] ?? 1 };
  });
}

/** Plain float data of an output, rejecting a model whose output is not float32. */
export function floatData(tensor: Ort.Tensor, file: string): Float32Array {
  if (!(tensor.data instanceof Float32Array)) throw new LivecheckError('model-corrupt', `model ${file} produced ${tensor.type} output, expected float32`, { file });
  return tensor.data;
}
