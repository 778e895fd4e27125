// createVerifyPool refuses at once a worker script that is not there, with the code a worker that cannot start has.
import { describe, expect, it } from 'vitest';
import { createVerifyPool } from '../../src/node/verify-pool.js';

describe('createVerifyPool', () => {
  it('a missing worker script is worker-crashed at creation, not a failure of every verification later', () => {
    expect(() => createVerifyPool({ threads: 1, workerFile: '/nonexistent/verify-worker.js' })).toThrow(expect.objectContaining({ code: 'worker-crashed' }));
  });

  it('bad sizes are invalid-argument', () => {
    for (const threads of [0, 1.5, NaN]) expect(() => createVerifyPool({ threads, workerFile: '/nonexistent/x.js' })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => createVerifyPool({ threads: 1, maxQueue: -1, workerFile: '/nonexistent/x.js' })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});
