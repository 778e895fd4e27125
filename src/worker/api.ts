// The worker's Comlink surface: one WorkerSession per check. onnxruntime-web's pthread workers start from the same
// script as the worker and must not speak Comlink.
import { transfer } from 'comlink';
import { LivecheckError } from '../errors.js';
import { discardFrame } from './pixels.js';
import { type FrameOutput, type RgbaBuffer, type WorkerApi, type WorkerInfo, type WorkerSetup } from '../protocol/worker.js';
import { WorkerSession, type SessionHooks } from './session.js';

/** The worker's Comlink surface over one session; `hooks` for a profiling entry. */
export function workerApi(hooks: SessionHooks = {}, onSession?: (s: WorkerSession) => void): WorkerApi {
  let session: WorkerSession | null = null;
  let starting = false;
  const live = (): WorkerSession => {
    if (!session) throw new LivecheckError('closed', 'the worker has no engine (init failed or closed)');
    return session;
  };
  return {
    async init(setup: WorkerSetup): Promise<WorkerInfo> {
      if (session || starting) throw new LivecheckError('invalid-argument', 'worker already initialised');
      starting = true;
      try {
        session = await WorkerSession.create(setup, hooks);
        onSession?.(session);
        return session.info;
      } finally {
        starting = false;
      }
    },
    async analyze(frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> {
      if (!session) discardFrame(frame);
      return live().analyze(frame, timestampMs);
    },
    async finish() {
      return session ? session.finish() : null;
    },
    async evidence() {
      return session ? session.evidence() : null;
    },
    async depth() {
      return session ? session.depth : 1;
    },
    async close() {
      const s = session;
      session = null;
      await s?.close();
    },
  };
}
