/**
 * Test hook, outside Comlink: posted straight to the dev worker (`worker.postMessage(...)`), it makes the worker die
 * the way a real fault would, so the browser tests can check that the page gets a typed error and no hang. `throw`:
 * an uncaught exception (the Worker's `error` event); `close`: the worker ends itself silently (`self.close()`).
 */
export const CRASH_TEST_MESSAGE = 'livecheck:test-crash';
export interface CrashTestMessage {
  type: typeof CRASH_TEST_MESSAGE;
  mode: 'throw' | 'close';
  /** 'iris': the main worker forwards the message to its iris worker, which dies instead. Default: the main worker. */
  target?: 'iris';
}
