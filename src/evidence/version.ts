// Written into every bundle's genesis. Kept equal to package.json's version by test/evidence/recorder.test.ts.
export const LIBRARY_NAME = 'livecheck';
export const LIBRARY_VERSION = '0.2.0';
