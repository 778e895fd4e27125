// @vladmandic/human on tfjs-backend-wasm in Node, set up for the same per-frame work as livecheck's tracked pipeline
// (face mesh + iris, its detector skipped on tracked frames), over the given RGBA frames.
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot as root } from './bundle-sources.mjs';

/** Returns `tracked` (one frame through human), `stats`, `close`, and human's tfjs (`tf`) with its model URL (`base`). */
export async function setupHuman(frames) {
  const require = createRequire(import.meta.url);
  // human's exports map has no "./" prefixes, so the node-wasm build is loaded by its path (toolchain.md)
  const humanPath = join(root, 'node_modules', '@vladmandic', 'human', 'dist', 'human.node-wasm.js');
  const tfwasm = require(join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'));
  const { Human } = require(humanPath);
  // human loads models with fetch, which cannot read file:// in Node: serve its models folder on 127.0.0.1
  const modelDir = join(root, 'node_modules', '@vladmandic', 'human', 'models');
  const server = createServer((req, res) => {
    const file = join(modelDir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(modelDir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}/`;
  const human = new Human({
    backend: 'wasm',
    wasmPath: pathToFileURL(join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')).href + '/',
    modelBasePath: base,
    debug: false,
    async: true,
    warmup: 'none',
    // cacheSensitivity is human's gate for reusing the previous face boxes (its tracking): 0 would force its detector
    // on every frame. A frame-difference limit this large always allows the reuse; mesh + iris still run every call.
    cacheSensitivity: 1000,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: true, maxDetected: 1, skipFrames: 1_000_000, skipTime: 1e12, minConfidence: 0.2 },
      mesh: { enabled: true },
      iris: { enabled: true },
      attention: { enabled: false },
      emotion: { enabled: false },
      description: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  await human.load();
  // RGB tensors are made before timing: the conversion is not the models' work
  const tensors = frames.map((f) => {
    const rgb = new Int32Array(f.width * f.height * 3);
    for (let i = 0, j = 0; i < f.data.length; i += 4, j += 3) {
      rgb[j] = f.data[i];
      rgb[j + 1] = f.data[i + 1];
      rgb[j + 2] = f.data[i + 2];
    }
    return human.tf.tensor4d(rgb, [1, f.height, f.width, 3], 'int32');
  });
  let ti = 0;
  const next = () => tensors[(ti = (ti + 1) % tensors.length)];
  const first = await human.detect(tensors[0]);
  if (first.face.length !== 1 || first.face[0].mesh.length < 468) throw new Error(`human found ${first.face.length} faces`);
  const stats = { lost: 0, meshPoints: first.face[0].mesh.length, backend: `tfjs-backend-wasm ${human.tf.version_core}, threads ${tfwasm.getThreadsCount?.() ?? 'unknown'}` };
  const tracked = async () => {
    const r = await human.detect(next());
    if (r.face.length !== 1) stats.lost++;
  };
  console.error(`human ${human.version}, tfjs ${human.tf.version_core} ${human.tf.getBackend()} (threads: ${tfwasm.getThreadsCount?.() ?? '?'})`);
  const close = () => {
    tensors.forEach((t) => t.dispose());
    server.close();
  };
  return { tracked, stats, close, tf: human.tf, base };
}
