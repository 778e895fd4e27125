import esbuild from 'rollup-plugin-esbuild';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { wasm } from '@rollup/plugin-wasm';

// TypeScript 7 has no JS compiler API, so esbuild strips types here; `tsc` typechecks and emits .d.ts.
const plugins = () => [
  nodeResolve({ browser: true, preferBuiltins: false }),
  wasm({ targetEnv: 'auto-inline', maxFileSize: 1 << 20 }),
  esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' }),
];

export default [
  {
    input: { index: 'src/index.ts', kernels: 'src/kernels/index.ts', server: 'src/server/index.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    external: [/^onnxruntime-web/],
    plugins: plugins(),
  },
  // the `livecheck` CLI (bin/livecheck.mjs loads it): Node platform, node builtins and npm packages stay external
  {
    input: { cli: 'src/node/cli.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/cli-[name]-[hash].js' },
    external: [/^onnxruntime-web/, /^node:/, 'jpeg-js', 'pngjs'],
    plugins: [esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' })],
  },
];
