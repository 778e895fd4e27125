import esbuild from 'rollup-plugin-esbuild';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { wasm } from '@rollup/plugin-wasm';
import { readFileSync } from 'node:fs';

// TypeScript 7 has no JS compiler API, so esbuild strips types here; `tsc` typechecks and emits .d.ts.
const plugins = () => [
  nodeResolve({ browser: true, preferBuiltins: false }),
  wasm({ targetEnv: 'auto-inline', maxFileSize: 1 << 20 }),
  esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' }),
];

// Assets the browser worker fetches at run time, emitted next to it so `assets.baseUrl` defaults to dist/.
const WORKER_ASSETS = {
  'kernels.simd.wasm': 'build/kernels.simd.wasm',
  'kernels.scalar.wasm': 'build/kernels.scalar.wasm',
  'ort-wasm-simd-threaded.wasm': 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
  // ORT's wasm loader: imported at run time from the asset folder, and the script its pthread workers start from
  'ort-wasm-simd-threaded.mjs': 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs',
  'models/blazeface.onnx': 'models/blazeface.onnx',
  'models/facemesh.onnx': 'models/facemesh.onnx',
  'models/iris.onnx': 'models/iris.onnx',
};
const workerAssets = () => ({
  name: 'livecheck-worker-assets',
  generateBundle() {
    for (const [fileName, from] of Object.entries(WORKER_ASSETS)) this.emitFile({ type: 'asset', fileName, source: readFileSync(from) });
  },
});

export default [
  {
    input: { index: 'src/index.ts', kernels: 'src/kernels/index.ts', server: 'src/server/index.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    external: [/^onnxruntime-web/],
    plugins: plugins(),
  },
  // the browser worker: one self-contained module (comlink + onnxruntime-web's wasm build inside), loaded by
  // createLivenessCheck with `new URL('./worker.js', import.meta.url)`
  {
    input: { worker: 'src/worker/worker.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', inlineDynamicImports: true },
    // models.ts reads files in Node only (guarded at run time); browsers never load it
    external: [/^node:/],
    // ORT's extern-wasm build: its loader stays a separate file, so pthreads never re-run this worker bundle
    plugins: [nodeResolve({ browser: true, preferBuiltins: false, exportConditions: ['onnxruntime-web-use-extern-wasm'] }), esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' }), workerAssets()],
  },
  // the `livecheck` CLI (bin/livecheck.mjs loads it): Node platform, node builtins and npm packages stay external
  {
    input: { cli: 'src/node/cli.ts', node: 'src/node/index.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/cli-[name]-[hash].js' },
    external: [/^onnxruntime-web/, /^node:/, 'jpeg-js', 'pngjs'],
    plugins: [esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' })],
  },
];
