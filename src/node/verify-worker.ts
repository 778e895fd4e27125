// One verification thread of the pool (verify-pool.ts): a Node reanalyzer, loaded once per thread, and
// verifyEvidence on each job. A typed error crosses back as data: a thread cannot throw a LivecheckError across.
import { workerData } from 'piscina';
import { isLivecheckError } from '../errors.js';
import type { VerificationJob } from '../service/service.js';
import { verifyEvidence } from '../verify/evidence.js';
import { createNodeReanalyzer } from './reanalyzer.js';
import { lazy } from '../util/lazy.js';

export interface VerifyTask {
  job: VerificationJob;
}

export type VerifyTaskResult = { report: Awaited<ReturnType<typeof verifyEvidence>> } | { error: { code: string; message: string; detail?: Record<string, unknown> } };

// the pool's model folder, the same for every task of this thread
const reanalyzer = lazy(() => createNodeReanalyzer({ modelDir: (workerData as { modelDir?: string } | undefined)?.modelDir, numThreads: 1 }));

export default async function verify(task: VerifyTask): Promise<VerifyTaskResult> {
  try {
    const r = await reanalyzer();
    const report = await verifyEvidence(task.job.bundle, { ...task.job.options, reanalyzeVideo: (c) => r.reanalyzeVideo(c) });
    // plain data only: the report crosses to the main thread by structured clone
    return { report: JSON.parse(JSON.stringify(report)) };
  } catch (e) {
    if (isLivecheckError(e)) return { error: { code: e.code, message: e.message, ...(e.detail && { detail: { ...e.detail } }) } };
    return { error: { code: 'verification-error', message: e instanceof Error ? e.message : String(e) } };
  }
}
