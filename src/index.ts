// livecheck public entry. SSR-safe: nothing here touches window, document or navigator at import time.
export { LivecheckError, isLivecheckError } from './errors.js';
export type { LivecheckErrorCode } from './errors.js';
