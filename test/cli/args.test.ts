// The CLI's argument parsing (src/cli/args.ts over node:util parseArgs, strict) and its number options. No data.
import { describe, expect, it } from 'vitest';
import { parseArgs, numberOption, HELP, EXIT } from '../../src/cli/args.js';
import { analyzeCommand } from '../../src/cli/analyze.js';
import { detectCommand } from '../../src/cli/detect.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { runCli } from '../../src/cli/index.js';
import { LivecheckError } from '../../src/errors.js';

const OPTIONS = { ...HELP, json: { type: 'boolean' }, 'no-identity': { type: 'boolean' }, tile: { type: 'string' }, models: { type: 'string' } } as const;

function usageError(f: () => unknown): LivecheckError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LivecheckError);
    expect((e as LivecheckError).code).toBe('invalid-argument');
    return e as LivecheckError;
  }
  throw new Error('no error thrown');
}

describe('CLI argument parsing', () => {
  it('--flag booleans, --opt value and --opt=value, positionals anywhere', () => {
    const { values, positionals } = parseArgs(['a.jpg', '--tile', '200', '--json', '--models=/m', 'b.jpg', '--no-identity'], OPTIONS);
    expect(values).toEqual({ tile: '200', json: true, models: '/m', 'no-identity': true });
    expect(positionals).toEqual(['a.jpg', 'b.jpg']);
    expect(parseArgs(['-h'], OPTIONS).values).toEqual({ help: true });
    expect(parseArgs([], OPTIONS)).toEqual({ values: {}, positionals: [] });
  });

  it('the last of a repeated option wins', () => {
    expect(parseArgs(['--tile', '1', '--tile=2'], OPTIONS).values).toEqual({ tile: '2' });
  });

  it('`--` ends the options: what follows is positional, dashes and all', () => {
    const { values, positionals } = parseArgs(['--json', '--', '--tile', '-x.jpg'], OPTIONS);
    expect(values).toEqual({ json: true });
    expect(positionals).toEqual(['--tile', '-x.jpg']);
  });

  it('an unknown option is invalid-argument naming it', () => {
    const e = usageError(() => parseArgs(['a.jpg', '--frobnicate', 'x'], OPTIONS));
    expect(e.message).toBe('unknown option --frobnicate');
    expect(e.detail).toEqual({ option: 'frobnicate' });
    expect((e.cause as { code?: string }).code).toBe('ERR_PARSE_ARGS_UNKNOWN_OPTION');
    expect(usageError(() => parseArgs(['-x'], OPTIONS)).message).toBe('unknown option -x');
    expect(usageError(() => parseArgs(['--frobnicate=1'], OPTIONS)).detail).toEqual({ option: 'frobnicate' });
  });

  it('a missing value is invalid-argument naming the option', () => {
    const e = usageError(() => parseArgs(['a.jpg', '--tile'], OPTIONS));
    expect(e.message).toBe('option --tile needs a value');
    expect(e.detail).toEqual({ option: 'tile' });
    // the next option is not taken as the value
    const next = usageError(() => parseArgs(['--tile', '--json'], OPTIONS));
    expect(next.message).toMatch(/^option --tile needs a value, got --json/);
    expect(next.detail).toEqual({ option: 'tile' });
    // unless written inline
    expect(parseArgs(['--tile=--json'], OPTIONS).values).toEqual({ tile: '--json' });
  });

  it('a value given to a flag is invalid-argument naming it', () => {
    const e = usageError(() => parseArgs(['--json=yes'], OPTIONS));
    expect(e.message).toMatch(/^option --json takes no value/);
    expect(e.detail).toEqual({ option: 'json' });
  });

  it('number options: absent, valid, and invalid naming the option', () => {
    expect(numberOption({}, 'tile', 0)).toBeUndefined();
    expect(numberOption({ tile: '200' }, 'tile', 0)).toBe(200);
    expect(numberOption({ f: '0.5' }, 'f', 0, false)).toBe(0.5);
    for (const v of ['big', '', '-1', '1.5']) expect(usageError(() => numberOption({ tile: v }, 'tile', 0)).detail).toEqual({ option: 'tile' });
  });

  it("every option in each command's usage text is declared (strict parsing rejects undeclared ones)", async () => {
    for (const command of [analyzeCommand, detectCommand, verifyCommand]) {
      const documented = [...new Set(command.usage.match(/^ {2}--[a-z-]+/gm)!.map((s) => s.trim()))];
      expect(documented.length).toBeGreaterThan(3);
      for (const option of documented) {
        // an undeclared option fails with "unknown option"; a declared one gets past parsing (to another error, or help)
        const err: string[] = [];
        await runCli([command === detectCommand ? 'detect' : command === analyzeCommand ? 'analyze' : 'verify', option, '--help'], { stdout: () => {}, stderr: (t) => err.push(t) });
        expect(err.join('\n'), `${option}`).not.toMatch(/unknown option/);
      }
    }
  });

  it('through runCli: an unknown option prints a typed usage error and exits 2', async () => {
    const err: string[] = [];
    expect(await runCli(['verify', 'b.json', '--nonse', 'ab'], { stdout: () => {}, stderr: (t) => err.push(t) })).toBe(EXIT.usage);
    expect(err).toEqual(['livecheck verify: unknown option --nonse (invalid-argument)']);
    const missing: string[] = [];
    expect(await runCli(['analyze', 'v.y4m', '--nonce'], { stdout: () => {}, stderr: (t) => missing.push(t) })).toBe(EXIT.usage);
    expect(missing).toEqual(['livecheck analyze: option --nonce needs a value (invalid-argument)']);
  });
});
