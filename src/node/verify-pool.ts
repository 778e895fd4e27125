// Verification off the event loop: a piscina pool of worker threads (one reanalyzer each, sized to the cores) with a
// bounded queue. A full queue is `service-busy` (the service answers 503 with Retry-After), never a growing backlog;
// each thread runs under V8 heap limits, and a job past its deadline has its thread terminated.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { LivecheckError, type LivecheckErrorCode } from '../errors.js';
import type { VerifyCapture } from '../service/service.js';
import type { VerifyTask, VerifyTaskResult } from './verify-worker.js';

export interface VerifyPoolOptions {
  /** Verification threads. Default: the machine's cores. */
  threads?: number;
  /** Jobs that may wait for a thread; one more is `service-busy`. Default 2 per thread. */
  maxQueue?: number;
  /** Folder with the models. Default: the package's models/. */
  modelDir?: string;
  /** V8 old-space limit per thread, MB. Default 1024. */
  maxHeapMb?: number;
  /** The worker module (built dist/verify-worker.js). Default: found next to this module. */
  workerFile?: string;
}

export interface VerifyPool {
  verify: VerifyCapture;
  /** Jobs running and waiting. */
  readonly pending: number;
  close(): Promise<void>;
}

export function createVerifyPool(options: VerifyPoolOptions = {}): VerifyPool {
  const threads = options.threads ?? availableParallelism();
  const maxQueue = options.maxQueue ?? 2 * threads;
  if (!Number.isInteger(threads) || threads < 1) throw new LivecheckError('invalid-argument', 'threads must be an integer >= 1', { threads });
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new LivecheckError('invalid-argument', 'maxQueue must be an integer >= 0', { maxQueue });
  const filename = options.workerFile ?? findWorker();
  // a pool whose threads cannot load their script would fail every verification later, one by one
  if (!existsSync(filename)) throw new LivecheckError('worker-crashed', `the verification worker cannot start: ${filename} does not exist`, { workerFile: filename });
  const pool = new Piscina({
    filename,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 1024 },
    workerData: { modelDir: options.modelDir },
  });
  let pending = 0;
  return {
    get pending() {
      return pending;
    },
    async verify(job, signal) {
      if (pending >= threads + maxQueue) throw new LivecheckError('service-busy', 'the verification queue is full', { pending, threads, maxQueue });
      pending++;
      try {
        const task: VerifyTask = { job };
        const out = (await pool.run(task, { signal })) as VerifyTaskResult;
        if ('error' in out) throw new LivecheckError(out.error.code as LivecheckErrorCode, out.error.message, out.error.detail);
        return out.report;
      } catch (e) {
        if (e instanceof LivecheckError) throw e;
        const aborted = signal.aborted;
        throw new LivecheckError(
          aborted ? 'worker-timeout' : 'worker-crashed',
          aborted ? 'the verification ran past its deadline' : `the verification thread failed: ${(e as Error).message}`,
          {},
          { cause: e },
        );
      } finally {
        pending--;
      }
    },
    close: () => pool.destroy(),
  };
}

function findWorker(): string {
  for (const rel of ['./verify-worker.js', '../verify-worker.js']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new LivecheckError('worker-crashed', 'the verification worker cannot start: verify-worker.js is not next to this module (build with `npm run build:js`)', {});
}
