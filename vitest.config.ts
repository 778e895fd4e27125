import { configDefaults, defineConfig } from 'vitest/config';

// Three projects, so a newcomer can run the fast part without fetching anything:
// - unit: pure logic and the wasm kernels (`npm run test:unit`: builds the wasm with asc, then ~30 s on 2 shared cores). No
//   real face data from .cache/data, no built ONNX models, no ffmpeg, no browser.
// - data: Node tests on the real data and models (`npm run build` first: setup:data, build:models, setup:variants).
// - browser: everything that drives Debian chromium through playwright-core (test/browser/; most serve dist/), the
//   timed ones (TIMED) in their own project, browser-timed, run after the rest.
// A new test lands in unit unless it sits in test/browser/ or is listed in DATA; one that needs data fails loudly
// there (requireData / requireModels throw, they never skip), so the list cannot silently rot.
const BROWSER = ['test/browser/**/*.test.ts'];
// Browser tests that count frames in real time or wait for a crash report: they run last and one at a time, alone on
// the machine, so a heavy test elsewhere (a server re-analysing a capture) cannot starve them.
const TIMED = ['test/browser/demo.test.ts', 'test/browser/iris-worker.test.ts', 'test/browser/frame-transport.test.ts', 'test/browser/vite-consumer.test.ts'];

const DATA = [
  'test/challenge/real-*.test.ts',
  'test/cli/{analyze,analyze-identity,verify,verify-identity}.test.ts', // not args.test.ts: plain data
  'test/data/*.test.ts', // media.test.ts, untrusted-video.test.ts: ffmpeg
  'test/decision/injection.test.ts', // ffmpeg-encoded real clips and stills
  'test/decision/real-*.test.ts',
  'test/engine/engine.test.ts',
  'test/engine/split.test.ts',
  'test/eval/analyze-signals.test.ts',
  'test/eval/eval.test.ts',
  'test/evidence/server-clips.test.ts',
  'test/evidence/server-verdict.test.ts',
  'test/evidence/verify.test.ts',
  'test/evidence/worker-attempt.test.ts',
  'test/face/{cli,faces,iris-batch,iris-split,landmark-runtime,landmarks,models,rotation,second-face,tracking}.test.ts',
  'test/geometry/real-faces.test.ts',
  'test/guidance/lenses-real.test.ts',
  'test/guidance/occlusion-real.test.ts',
  'test/guidance/variants.test.ts',
  'test/quality/passive-variants.test.ts',
  'test/quality/real-frames.test.ts',
  'test/match/calibration.test.ts',
  'test/match/document.test.ts',
  'test/match/facerec.test.ts',
  'test/models/*.test.ts', // the converter and the built models (converter.test.ts: tfjs + onnxruntime, ~8 s)
  'test/nn/plan.test.ts',
  'test/nn/runtime.test.ts',
  'test/node/capture-video.test.ts', // ffmpeg
  'test/node/entry.test.ts',
  'test/service/http.test.ts', // the built CLI and worker, redis-server, ffmpeg
];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        // isolate: false runs the files in reused workers instead of a fresh fork per file: the unit tests mock nothing
        // and set no globals, and it cuts the project from ~48 s to ~31 s wall (44 -> 28 s CPU) on the shared 2 cores.
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...BROWSER, ...DATA], isolate: false },
      },
      { extends: true, test: { name: 'data', include: DATA } },
      // Node drives chromium through playwright-core from this same runner (not vitest browser mode).
      { extends: true, test: { name: 'browser', include: BROWSER, exclude: [...configDefaults.exclude, ...TIMED] } },
      { extends: true, test: { name: 'browser-timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
