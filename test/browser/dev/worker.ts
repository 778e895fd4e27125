// The worker as the browser tests and bench:e2e load it (dist/dev/worker.js, built beside the packaged one, never
// packed): the packaged worker's session plus a profiler (each frame's time by stage in FrameOutput.profile) and a
// crash hook that makes the worker, or its iris worker, die the way a real fault would.
import * as ort from 'onnxruntime-web/wasm';
import { workerApi } from '../../../src/worker/api.js';
import { exposeApi } from '../../../src/worker/expose.js';
import type { WorkerSession } from '../../../src/worker/session.js';
import { CRASH_TEST_MESSAGE, type CrashTestMessage } from './crash.js';

const ortTimes: Record<string, number> = {};
let faceMs = 0;
let kernelMs = 0;
let session: WorkerSession | null = null;

function timed<A extends unknown[], R>(fn: (...a: A) => R, add: (ms: number) => void): (...a: A) => R {
  return (...a: A): R => {
    const t = performance.now();
    const r = fn(...a);
    if (r instanceof Promise) return r.finally(() => add(performance.now() - t)) as R;
    add(performance.now() - t);
    return r;
  };
}

// the session's own tracker, kernels and onnxruntime's runs, timed in place
function instrument(s: WorkerSession): void {
  session = s;
  const tracker = s.engine.tracker as unknown as Record<'detect' | 'detectMesh', (...a: unknown[]) => Promise<unknown>>;
  for (const name of ['detect', 'detectMesh'] as const) tracker[name] = timed(tracker[name].bind(tracker), (ms) => (faceMs += ms));
  const kernels = s.engine.kernels as unknown as { qualityPass: (...a: unknown[]) => unknown };
  kernels.qualityPass = timed(kernels.qualityPass.bind(kernels), (ms) => (kernelMs += ms));
  const proto = (ort.InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => Promise<unknown> } }).prototype;
  const run = proto.run;
  proto.run = async function (this: unknown, ...a: unknown[]) {
    const first = Object.values(a[0] as Record<string, { dims?: readonly number[] }>)[0];
    const key = first?.dims ? first.dims.join('x') : '?';
    const t = performance.now();
    try {
      return await run.apply(this, a);
    } finally {
      ortTimes[key] = (ortTimes[key] ?? 0) + performance.now() - t;
    }
  };
}

const api = workerApi(
  {
    irisWorkerUrl: new URL('./iris-worker.js', import.meta.url),
    beforeFrame() {
      faceMs = kernelMs = 0;
      for (const k in ortTimes) delete ortTimes[k];
    },
    afterFrame(out, timing) {
      out.profile = {
        pixels: timing.pixels,
        path: timing.path,
        face: faceMs,
        ort: { ...ortTimes },
        kernels: kernelMs,
        interpret: Math.max(0, timing.engine - faceMs - kernelMs),
        iris: timing.iris,
        irisWait: timing.irisWait,
      };
    },
  },
  instrument,
);

if (exposeApi(api)) {
  self.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as CrashTestMessage | null;
    if (!m || m.type !== CRASH_TEST_MESSAGE) return;
    if (m.target === 'iris') {
      session?.iris?.worker?.postMessage({ type: CRASH_TEST_MESSAGE, mode: m.mode });
      return;
    }
    if (m.mode === 'close') self.close();
    else
      setTimeout(() => {
        throw new Error('livecheck worker crash (test hook)');
      });
  });
}
