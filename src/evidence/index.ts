export { EvidenceRecorder } from './recorder.js';
export type { EvidenceRecorderOptions, FramePixels, JpegEncoder, RgbaImage } from './recorder.js';
export { EVIDENCE_FORMAT, EVIDENCE_VERSION, serializeEvidence, parseEvidence, evidenceShapeProblems } from './bundle.js';
export type {
  ChallengeStep, DocumentBinding, EvidenceBundle, EvidenceGenesis, EvidenceRecord, FrameRecord, KeyframeRecord, EndRecord, EvidenceFace, Quantized,
} from './bundle.js';
export { canonicalJson, quantize, QUANTUM } from './canonical.js';
export { LIBRARY_NAME, LIBRARY_VERSION } from './version.js';
