// The `livecheck` command line. Each subcommand is one entry in `commands`: add a command by adding an entry (its
// own module is fine) with a summary, usage text and a `run` that returns the exit code.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LivecheckError, isLivecheckError } from '../errors.js';
import type { FaceTracker } from '../face/index.js';
import type { OrtModule } from '../face/models.js';
import { analyzeCommand } from './analyze.js';
import { verifyCommand } from './verify.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface CliCommand {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Exit codes: 0 success, 1 some input failed, 2 usage or set-up error (missing models, bad option). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Parses `--name value`, `--flag` and positional arguments. `flags` lists options that take no value. */
export function parseArgs(args: string[], flags: readonly string[]): { options: Map<string, string | true>; positional: string[] } {
  const options = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { positional.push(...args.slice(i + 1)); break; }
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (flags.includes(name)) { options.set(name, true); continue; }
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new LivecheckError('invalid-argument', `option --${name} needs a value`, { option: name });
    options.set(name, value);
  }
  return { options, positional };
}

function numberOption(options: Map<string, string | true>, name: string, min: number, integer = true): number | undefined {
  const v = options.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new LivecheckError('invalid-argument', `--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(v)}`, { option: name });
  }
  return n;
}

/** The `models/` folder of this package: next to dist/ when built, at the repository root from src/. */
export function defaultModelDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'models', 'facemesh.onnx'))) return join(dir, 'models');
    dir = dirname(dir);
  }
  return resolve('models');
}

const round = (v: number) => Math.round(v * 100) / 100;

const detect: CliCommand = {
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
    const { options, positional } = parseArgs(args, ['json', 'group', 'upright', 'no-iris', 'help']);
    if (options.has('help')) { io.stdout(this.usage); return EXIT.ok; }
    if (positional.length === 0) { io.stderr(`livecheck detect: no image given\n\n${this.usage}`); return EXIT.usage; }
    const detector = options.get('detector') ?? 'front';
    if (detector !== 'front' && detector !== 'back') throw new LivecheckError('invalid-argument', `--detector must be front or back, got ${String(detector)}`);
    const tileSize = numberOption(options, 'tile', 0) ?? (options.has('group') ? 960 : 0);
    const maxFaces = numberOption(options, 'max-faces', 1) ?? 64;
    const threads = numberOption(options, 'threads', 1) ?? 1;
    const modelDir = typeof options.get('models') === 'string' ? String(options.get('models')) : defaultModelDir();
    const models = {
      detector: join(modelDir, 'blazeface.onnx'),
      detectorBack: join(modelDir, 'blazeface-back.onnx'),
      mesh: join(modelDir, 'facemesh.onnx'),
      iris: options.has('no-iris') ? undefined : join(modelDir, 'iris.onnx'),
    };
    const ort = (await import('onnxruntime-web')) as OrtModule;
    ort.env.wasm.numThreads = threads;
    ort.env.logLevel = 'error';
    const { FaceTracker } = await import('../face/index.js');
    const { decodeImage } = await import('./media.js');
    let tracker: FaceTracker;
    try {
      const { findLandmarkKernelWasm } = await import('./kernels.js');
      tracker = await FaceTracker.create({
        ort, landmarkKernels: await findLandmarkKernelWasm(), models: detector === 'back' ? models : { ...models, detectorBack: undefined }, orientations: options.has('upright') ? 'upright' : 'all',
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
      for (const file of positional) {
        try {
          const image = decodeImage(file);
          const result = await tracker.detectImage(image, { model: detector, tileSize, maxFaces });
          if (options.has('json')) {
            io.stdout(JSON.stringify({
              file, width: image.width, height: image.height,
              faces: result.faces.map((f) => ({
                box: [f.box.x, f.box.y, f.box.width, f.box.height].map(round),
                score: Math.round(f.score * 1000) / 1000,
                rotation: round((f.rotation * 180) / Math.PI),
                landmarks: f.landmarks.map((p) => p.map(round)),
              })),
            }));
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

/** Subcommands by name. `analyze` and `verify` join here. */
export const commands: Record<string, CliCommand> = {
  detect,
  analyze: analyzeCommand({ EXIT, parseArgs, defaultModelDir }),
  verify: verifyCommand({ EXIT, parseArgs, defaultModelDir }),
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return `usage: livecheck <command> [options]\n\nCommands:\n${Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`).join('\n')}\n\nRun \`livecheck <command> --help\` for its options.`;
}

/** Runs the CLI and returns the exit code (never calls process.exit, so it is testable). */
export async function runCli(argv: string[], io: CliIo = { stdout: (t) => console.log(t), stderr: (t) => console.error(t) }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands[name];
  if (!command) { io.stderr(`livecheck: unknown command "${name}"\n\n${usage()}`); return EXIT.usage; }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isLivecheckError(e)) { io.stderr(`livecheck ${name}: ${e.message} (${e.code})`); return e.code === 'invalid-argument' ? EXIT.usage : EXIT.failed; }
    throw e;
  }
}
