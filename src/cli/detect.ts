// `livecheck detect <image...>`: faces and their 468 + 10 landmarks in JPEG/PNG images (FaceTracker from models/).
import { basename, join } from 'node:path';
import { LivecheckError, isLivecheckError } from '../errors.js';
import type { FaceTracker } from '../face/index.js';
import type { OrtModule } from '../face/models.js';
import { EXIT, HELP, defaultModelDir, numberOption, parseArgs, type CliCommand } from './args.js';

const OPTIONS = {
  ...HELP,
  json: { type: 'boolean' },
  models: { type: 'string' },
  group: { type: 'boolean' },
  tile: { type: 'string' },
  detector: { type: 'string' },
  'max-faces': { type: 'string' },
  upright: { type: 'boolean' },
  'no-iris': { type: 'boolean' },
  threads: { type: 'string' },
} as const;

const round = (v: number) => Math.round(v * 100) / 100;

export const detectCommand: CliCommand = {
  summary: 'find faces and their 468 + 10 landmarks in JPEG/PNG images',
  usage: `livecheck detect <image...> [options]

Prints, per image, one line of JSON with --json:
  { "file", "width", "height", "faces": [ { "box": [x, y, w, h], "score", "rotation", "landmarks": [[x, y, z], ...] } ] }
landmarks are image pixels in FaceMesh order: 468 mesh points, then 5 iris points per eye (subject's right eye first).

Options:
  --json             JSON output (default: one summary line per image)
  --models <dir>     folder with blazeface.onnx, blazeface-back.onnx, facemesh.onnx, iris.onnx (default: the package's)
  --group            settings for group photos: --tile 960 (or --tile 200 for faces under ~80 px)
  --tile <px>        detect in overlapping tiles of this size (small faces in large photos)
  --detector <front|back>  front (128 px input, default) or back (256 px)
  --max-faces <n>    most faces per image (default 64)
  --upright          only look for faces within ~45 degrees of upright (faster)
  --no-iris          skip the iris model (468 points only)
  --threads <n>      onnxruntime threads (default 1)`,
  async run(args, io) {
    const { values, positionals } = parseArgs(args, OPTIONS);
    if (values.help) {
      io.stdout(this.usage);
      return EXIT.ok;
    }
    if (positionals.length === 0) {
      io.stderr(`livecheck detect: no image given\n\n${this.usage}`);
      return EXIT.usage;
    }
    const detector = values.detector ?? 'front';
    if (detector !== 'front' && detector !== 'back') throw new LivecheckError('invalid-argument', `--detector must be front or back, got ${detector}`, { option: 'detector' });
    const tileSize = numberOption(values, 'tile', 0) ?? (values.group ? 960 : 0);
    const maxFaces = numberOption(values, 'max-faces', 1) ?? 64;
    const threads = numberOption(values, 'threads', 1) ?? 1;
    const modelDir = values.models ?? defaultModelDir();
    const models = {
      detector: join(modelDir, 'blazeface.onnx'),
      detectorBack: join(modelDir, 'blazeface-back.onnx'),
      mesh: join(modelDir, 'facemesh.onnx'),
      iris: values['no-iris'] ? undefined : join(modelDir, 'iris.onnx'),
    };
    const ort = (await import('onnxruntime-web')) as OrtModule;
    ort.env.wasm.numThreads = threads;
    ort.env.logLevel = 'error';
    const { FaceTracker } = await import('../face/index.js');
    const { decodeImage } = await import('../node/media.js');
    let tracker: FaceTracker;
    try {
      const { findLandmarkKernelWasm } = await import('../node/kernels.js');
      tracker = await FaceTracker.create({
        ort,
        landmarkKernels: await findLandmarkKernelWasm(),
        models: detector === 'back' ? models : { ...models, detectorBack: undefined },
        orientations: values.upright ? 'upright' : 'all',
      });
    } catch (e) {
      if (isLivecheckError(e, 'model-missing') || isLivecheckError(e, 'model-corrupt')) {
        io.stderr(`livecheck detect: ${e.message}\nBuild the models with \`npm run build:models\` or pass --models <dir>.`);
        return EXIT.usage;
      }
      throw e;
    }
    let failed = 0;
    try {
      for (const file of positionals) {
        try {
          const image = decodeImage(file);
          const result = await tracker.detectImage(image, { model: detector, tileSize, maxFaces });
          if (values.json) {
            io.stdout(
              JSON.stringify({
                file,
                width: image.width,
                height: image.height,
                faces: result.faces.map((f) => ({
                  box: [f.box.x, f.box.y, f.box.width, f.box.height].map(round),
                  score: Math.round(f.score * 1000) / 1000,
                  rotation: round((f.rotation * 180) / Math.PI),
                  landmarks: f.landmarks.map((p) => p.map(round)),
                })),
              }),
            );
          } else {
            const boxes = result.faces.map((f) => `[${[f.box.x, f.box.y, f.box.width, f.box.height].map(Math.round).join(',')}]`).join(' ');
            io.stdout(`${basename(file)}: ${image.width}x${image.height}, ${result.faceCount} face${result.faceCount === 1 ? '' : 's'} ${boxes}`.trimEnd());
          }
        } catch (e) {
          if (!isLivecheckError(e)) throw e;
          failed++;
          io.stderr(`livecheck detect: ${file}: ${e.message} (${e.code})`);
        }
      }
    } finally {
      await tracker.close();
    }
    return failed > 0 ? EXIT.failed : EXIT.ok;
  },
};
