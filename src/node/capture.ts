// One Node attempt recorded as the browser records it: the engine with the evidence recorder, and the capture video
// encoded from exactly the frames the attempt analyses (opened at the first frame, none after the attempt ends).
// `livecheck analyze --evidence` and the evaluation's server path both capture through here.
import type { DocumentBinding, EvidenceBundle } from '../evidence/bundle.js';
import type { EngineFrameResult, LivenessEngine } from '../engine/engine.js';
import type { RgbaImage } from '../image.js';
import { nodeJpegEncoder } from './attempt.js';
import { NodeCaptureVideoEncoder } from './capture-video.js';
import { createNodeEngine, type NodeEngineOptions } from './engine.js';

export interface NodeCaptureEvidence {
  /** The nonce the plan was derived from. */
  nonce: string;
  /** The ID document the capture is bound to. */
  document: DocumentBinding;
  /** Wall clock of the capture's start, ms. */
  startedAt: number;
  /** The frame time the capture starts at (a window into a longer file). Default 0. */
  startMs?: number;
}

export interface NodeCapture {
  readonly engine: LivenessEngine;
  /** Adds the frame to the capture video while the attempt runs, then analyses it. */
  analyzeFrame(frame: RgbaImage, timestampMs: number, total?: number): Promise<EngineFrameResult>;
  /** The sealed evidence bundle, once `engine.attempt.finish()` has decided; null without evidence. */
  evidence(): Promise<EvidenceBundle | null>;
  /** Releases the engine and the encoder. */
  close(): Promise<void>;
}

/** A Node engine (`options`) that records its evidence when `evidence` is given. */
export async function openNodeCapture(options: NodeEngineOptions, evidence: NodeCaptureEvidence | null): Promise<NodeCapture> {
  let encoder: Promise<NodeCaptureVideoEncoder> | null = null;
  let lastT = evidence?.startMs ?? 0;
  const engine = await createNodeEngine({
    ...options,
    evidence: evidence && {
      nonce: evidence.nonce,
      document: evidence.document,
      clock: () => evidence.startedAt + lastT - (evidence.startMs ?? 0),
      encodeJpeg: await nodeJpegEncoder(),
      video: async () => (encoder ? (await encoder).finish() : { missing: 'no frame was encoded' }),
    },
  });
  return {
    engine,
    async analyzeFrame(frame, timestampMs, total) {
      lastT = timestampMs;
      if (evidence && !engine.attempt.ended) {
        encoder ??= NodeCaptureVideoEncoder.open(frame.width, frame.height);
        (await encoder).encode(frame, timestampMs);
      }
      return engine.analyzeFrame(frame, timestampMs, total);
    },
    evidence: async () => (evidence ? engine.attempt.evidence() : null),
    async close() {
      if (encoder) void encoder.then((e) => e.close()).catch(() => undefined);
      await engine.close();
    },
  };
}
