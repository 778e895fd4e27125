// The attempt pipeline as a browser module (dist/dev/attempt.js) for the tests that time it inside a worker.
export { Attempt } from '../../../src/attempt/attempt.js';
export { attemptConfigHash } from '../../../src/attempt/config.js';
export { serializeEvidence } from '../../../src/evidence/bundle.js';
