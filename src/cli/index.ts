// The `livecheck` command line (bin/livecheck.mjs loads its bundle, dist/cli.js). Each subcommand is one module in
// src/cli/ and one entry in `commands`: add a command by adding its module (a CliCommand with a summary, usage text
// and a `run` that returns the exit code) and its entry here. Commands import down only (args.ts, src/node/ and the
// layers under it); nothing outside src/cli/ imports src/cli/.
import { isLivecheckError } from '../errors.js';
import { EXIT, type CliCommand, type CliIo } from './args.js';
import { analyzeCommand } from './analyze.js';
import { detectCommand } from './detect.js';
import { verifyCommand } from './verify.js';
import { serveCommand } from './serve.js';

export { EXIT };
export type { CliCommand, CliIo };

/** Subcommands by name. */
export const commands: Record<string, CliCommand> = {
  detect: detectCommand,
  analyze: analyzeCommand,
  verify: verifyCommand,
  serve: serveCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return `usage: livecheck <command> [options]\n\nCommands:\n${Object.entries(commands)
    .map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`)
    .join('\n')}\n\nRun \`livecheck <command> --help\` for its options.`;
}

/** Runs the CLI and returns the exit code (never calls process.exit, so it is testable). */
export async function runCli(argv: string[], io: CliIo = { stdout: (t) => console.log(t), stderr: (t) => console.error(t) }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.stderr(`livecheck: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isLivecheckError(e)) {
      io.stderr(`livecheck ${name}: ${e.message} (${e.code})`);
      return e.code === 'invalid-argument' ? EXIT.usage : EXIT.failed;
    }
    throw e;
  }
}
