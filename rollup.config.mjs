import esbuild from 'rollup-plugin-esbuild';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { wasm } from '@rollup/plugin-wasm';
import { join } from 'node:path';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';

// TypeScript 7 has no JS compiler API, so esbuild strips types here; `tsc` typechecks and emits .d.ts.
const plugins = () => [nodeResolve({ browser: true, preferBuiltins: false }), wasm({ targetEnv: 'auto-inline', maxFileSize: 1 << 20 }), esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' })];

// The package's own `imports` map (package.json): #read-model reads model files from disk under the `node` condition
// and fetches them elsewhere. rollup picks the side per build: the browser bundles fetch, the CLI and livecheck/node read.
const readModel = (side) => ({
  name: 'livecheck-read-model',
  resolveId(source) {
    return source === '#read-model' ? this.resolve(side === 'node' ? './src/node/read-model.ts' : './src/face/read-model.ts') : null;
  },
});

// Assets the browser worker fetches at run time, emitted next to it so `assets.baseUrl` defaults to dist/. The models
// are not copied: the package ships models/ once, and createLivenessCheck's default model folder is `../models/` from
// dist/ (a self-hosting app copies them next to its other assets; see the README).
const WORKER_ASSETS = {
  'kernels.simd.wasm': 'build/kernels.simd.wasm',
  'kernels.scalar.wasm': 'build/kernels.scalar.wasm',
  // FaceMesh and Iris on livecheck's own kernels (src/nn/)
  'nn.simd.wasm': 'build/nn.simd.wasm',
  'ort-wasm-simd-threaded.wasm': 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
  // ORT's wasm loader: imported at run time from the asset folder, and the script its pthread workers start from
  'ort-wasm-simd-threaded.mjs': 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs',
};
const workerAssets = () => ({
  name: 'livecheck-worker-assets',
  generateBundle() {
    for (const [fileName, from] of Object.entries(WORKER_ASSETS)) this.emitFile({ type: 'asset', fileName, source: readFileSync(from) });
  },
});

// The worker always hands its own `onnxruntime-web/wasm` to the engine, but FaceTracker keeps a fallback
// `import('onnxruntime-web')` (Node's default). Inlined, that fallback pulled ORT's WebGPU/JSEP build into worker.js,
// and a consumer's bundler then emitted its 28 MB jsep.wasm too: in the worker, the bare name is the wasm build.
const ortWasmOnly = () => ({
  name: 'livecheck-ort-wasm-only',
  resolveId(source, importer, options) {
    if (source === 'onnxruntime-web') return this.resolve('onnxruntime-web/wasm', importer, { ...options, skipSelf: true });
    return null;
  },
});

// Node-only fallbacks in the browser bundles (the engine's default `import('onnxruntime-web')`, models.ts's
// `import('node:fs/promises')`) never run in a browser, but a consumer's bundler follows a literal dynamic import at
// build time: Vite then emitted onnxruntime's 28 MB WebGPU wasm into the app even though the code was tree-shaken.
// Written as a non-literal specifier, bundlers leave them to Node.
const opaqueNodeImports = () => ({
  name: 'livecheck-opaque-node-imports',
  renderDynamicImport({ targetModuleId }) {
    if (targetModuleId === 'onnxruntime-web' || targetModuleId?.startsWith('node:')) return { left: 'import(/* @vite-ignore */ /* webpackIgnore: true */ [', right: '][0])' };
    return null;
  },
});

// rollup never empties dist/: hashed chunks of earlier builds stayed behind and `npm pack` shipped them. After each
// build, drop this build's own stale files (its chunk prefix) and leave everything else, so a build running beside a
// test that serves dist/ removes nothing in use.
const pruneStale = (owns, extraDirs = []) => ({
  name: 'livecheck-prune-stale',
  writeBundle(options, bundle) {
    const dir = join(options.dir, 'chunks');
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) {
        const rel = `chunks/${f}`;
        if (owns(f) && !(rel in bundle) && !(rel.replace(/\.map$/, '') in bundle)) rmSync(join(dir, f), { force: true });
      }
    }
    for (const d of extraDirs) rmSync(join(options.dir, d), { recursive: true, force: true });
  },
});

// mediabunny's compiled ESM (the capture video's muxer) has import cycles and top-level `this` in TypeScript helpers:
// both harmless, reported for every build; anything else still warns
const quietMediabunny = (warning, warn) => {
  const inMediabunny = (id) => typeof id === 'string' && id.includes('node_modules/mediabunny/');
  if (warning.code === 'CIRCULAR_DEPENDENCY' && (warning.ids ?? []).every(inMediabunny)) return;
  if (warning.code === 'THIS_IS_UNDEFINED' && inMediabunny(warning.id)) return;
  warn(warning);
};
// Its Node file source imports node:fs/promises. Its package.json `browser` field maps that away, but the resolver
// follows `exports` and ignores the field: in the workers the import becomes an empty module (never used there).
const fromMediabunny = (importer) => (importer ?? '').includes('node_modules/mediabunny/');
const nodeExternal = (id, importer) => /^node:/.test(id) && !fromMediabunny(importer);
const mediabunnyWithoutNode = () => ({
  name: 'livecheck-mediabunny-without-node',
  resolveId: (id, importer) => (id.startsWith('node:') && fromMediabunny(importer) ? '\0mediabunny-no-node' : null),
  load: (id) => (id === '\0mediabunny-no-node' ? 'export {};' : null),
});

export default [
  {
    input: { index: 'src/index.ts', server: 'src/server/index.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    // the server's demuxer stays a dependency import (the worker bundles its own copy for the browser)
    external: [/^onnxruntime-web/, /^mediabunny/],
    plugins: [readModel('browser'), ...plugins(), opaqueNodeImports(), pruneStale((f) => !f.startsWith('cli-'))],
  },
  // the browser worker: one self-contained module (comlink + onnxruntime-web's wasm build inside), loaded by
  // createLivenessCheck with `new URL('./worker.js', import.meta.url)`
  {
    input: { worker: 'src/worker/worker.ts' },
    onwarn: quietMediabunny,
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', inlineDynamicImports: true },
    // models.ts reads files in Node only (guarded at run time); browsers never load it
    external: nodeExternal,
    // ORT's extern-wasm build: its loader stays a separate file, so pthreads never re-run this worker bundle
    plugins: [
      readModel('browser'),
      ortWasmOnly(),
      opaqueNodeImports(),
      mediabunnyWithoutNode(),
      nodeResolve({ browser: true, preferBuiltins: false, exportConditions: ['onnxruntime-web-use-extern-wasm'] }),
      esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' }),
      workerAssets(),
      pruneStale(() => false, ['models']),
    ],
  },
  // the iris worker (Iris beside the main worker's FaceMesh, pipelined): started by worker.js from the asset folder,
  // with its own onnxruntime-web instance (the wasm file is the one emitted above)
  {
    input: { 'iris-worker': 'src/worker/iris-worker.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', inlineDynamicImports: true },
    external: [/^node:/],
    plugins: [
      readModel('browser'),
      ortWasmOnly(),
      opaqueNodeImports(),
      mediabunnyWithoutNode(),
      nodeResolve({ browser: true, preferBuiltins: false, exportConditions: ['onnxruntime-web-use-extern-wasm'] }),
      esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' }),
    ],
  },
  // the test and bench builds (dist/dev/, never packed): the worker with its profiler and crash hook, the iris worker
  // with its crash hook
  {
    input: { worker: 'test/browser/dev/worker.ts', 'iris-worker': 'test/browser/dev/iris-worker.ts' },
    onwarn: quietMediabunny,
    output: { dir: 'dist/dev', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    external: nodeExternal,
    plugins: [
      readModel('browser'),
      ortWasmOnly(),
      opaqueNodeImports(),
      mediabunnyWithoutNode(),
      nodeResolve({ browser: true, preferBuiltins: false, exportConditions: ['onnxruntime-web-use-extern-wasm'] }),
      esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' }),
    ],
  },
  // the `livecheck` CLI (bin/livecheck.mjs loads it): Node platform, node builtins and npm packages stay external
  {
    input: { cli: 'src/cli/index.ts', node: 'src/node/index.ts', 'verify-worker': 'src/node/verify-worker.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/cli-[name]-[hash].js' },
    external: [/^onnxruntime-web/, 'onnxruntime-node', /^node:/, 'jpeg-js', 'pngjs', 'mediabunny', 'redis', 'piscina'],
    plugins: [readModel('node'), esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' }), pruneStale((f) => f.startsWith('cli-'))],
  },
];
