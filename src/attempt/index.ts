// One attempt from first frame to decision, the same in every host, and its settings.
export { Attempt } from './attempt.js';
export { SignalLog } from './signal-log.js';
export type { SignalFrame } from './signal-log.js';
export type { AttemptEvidence, AttemptInput, AttemptOptions, AttemptOutcome, AttemptPixels, AttemptSignals, AttemptStep, PassiveScores } from './attempt.js';
export { attemptConfigHash, resolveAttemptConfig } from './config.js';
export type { AttemptConfig } from './config.js';
export { FrameInterpreter, checkTimestamp } from './interpreter.js';
export type { FrameInterpretation, FrameInterpreterOptions } from './interpreter.js';
