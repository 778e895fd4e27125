// What every `livecheck` command shares: exit codes, the io it prints to, its shape, the default models folder and
// argument parsing (node:util's parseArgs, strict: each command declares its options and their types). This module
// imports nothing from the commands, so src/cli/ has no import cycle: index.ts -> <command>.ts -> args.ts -> src/node.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { LivecheckError } from '../errors.js';
import { packageModelDir } from '../node/model-dir.js';

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

/** A command's options: `{ json: { type: 'boolean' }, models: { type: 'string' } }` (node:util parseArgs' form). */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** The options every command takes: `--help` (or `-h`). */
export const HELP = { help: { type: 'boolean', short: 'h' } } as const satisfies CliOptions;

/**
 * Parses `args` against the command's declared options: `--name value`, `--name=value`, `--flag`, positionals, and
 * `--` ending the options. An undeclared option, a missing value or a value given to a flag is
 * `invalid-argument` naming the option (the CLI prints it with the usage exit code).
 */
export function parseArgs<const O extends CliOptions>(args: readonly string[], options: O) {
  try {
    const { values, positionals } = nodeParseArgs({ args: [...args], options, strict: true, allowPositionals: true });
    return { values, positionals };
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw usageError(args, options, e as Error);
    throw e;
  }
}

/**
 * Turns parseArgs' error into one naming the option. parseArgs' own messages are for its API; the offending token
 * is found again by a lenient pass over the same arguments (its tokens say which option and how its value came).
 */
function usageError(args: readonly string[], options: CliOptions, cause: Error): LivecheckError {
  const { tokens } = nodeParseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    const name = t.rawName.startsWith('--') ? t.rawName : `${t.rawName} (--${t.name})`;
    if (!spec) return new LivecheckError('invalid-argument', `unknown option ${t.rawName}`, { option: t.name }, { cause });
    if (spec.type === 'boolean' && t.value !== undefined) return new LivecheckError('invalid-argument', `option ${name} takes no value, got ${t.rawName}=${t.value}`, { option: t.name }, { cause });
    if (spec.type === 'string' && t.value === undefined) return new LivecheckError('invalid-argument', `option ${name} needs a value`, { option: t.name }, { cause });
    if (spec.type === 'string' && !t.inlineValue && t.value?.startsWith('-')) {
      return new LivecheckError('invalid-argument', `option ${name} needs a value, got ${t.value} (write --${t.name}=${t.value} if that is the value)`, { option: t.name }, { cause });
    }
  }
  return new LivecheckError('invalid-argument', cause.message, {}, { cause });
}

/** A number-valued option: undefined when absent; `invalid-argument` naming it when not a number >= min. */
export function numberOption(values: Readonly<Record<string, unknown>>, name: string, min: number, integer = true): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new LivecheckError('invalid-argument', `--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(v)}`, { option: name });
  }
  return n;
}

/** The `models/` folder of this package: next to dist/ when built, at the repository root from src/. */
export function defaultModelDir(): string {
  return packageModelDir(import.meta.url);
}

/**
 * The models a server-side verification reads (`--models`, else this package's). dist/models holds only the
 * browser's models: without facerec.onnx there, undefined lets the reanalyzer find the package's models/ folder.
 */
export function verificationModelDir(models: string | undefined): string | undefined {
  return models ?? (existsSync(join(defaultModelDir(), 'facerec.onnx')) ? defaultModelDir() : undefined);
}
