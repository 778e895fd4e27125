// The iris worker as the browser tests load it (dist/dev/iris-worker.js): the packaged iris worker plus the crash hook.
import { exposeApi } from '../../../src/worker/expose.js';
import { irisWorkerApi } from '../../../src/worker/iris-api.js';
import { CRASH_TEST_MESSAGE, type CrashTestMessage } from './crash.js';

if (exposeApi(irisWorkerApi())) {
  self.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as CrashTestMessage | null;
    if (!m || m.type !== CRASH_TEST_MESSAGE) return;
    if (m.mode === 'close') self.close();
    else
      setTimeout(() => {
        throw new Error('livecheck iris worker crash (test hook)');
      });
  });
}
