// The CLI's detect command, run in-process through runCli (bin/livecheck.mjs is a thin shell over it).
import { describe, expect, it } from 'vitest';
import { commands, runCli } from '../../src/cli/index.js';
import { data } from '../helpers/data.js';
import { requireModels } from './engine.js';

function capture() {
  const out: string[] = [],
    err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

describe('livecheck CLI', () => {
  it('detect --json prints one JSON object per image with 478 landmarks per face in image pixels', async () => {
    requireModels();
    const { io, out, err } = capture();
    const code = await runCli(['detect', data.astronaut, data.kphotoalbum('skagen'), '--json'], io);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toHaveLength(2);
    const [astro, landscape] = out.map((l) => JSON.parse(l));
    expect(astro).toMatchObject({ file: data.astronaut, width: 512, height: 512 });
    expect(astro.faces).toHaveLength(1);
    const face = astro.faces[0];
    expect(face.box).toHaveLength(4);
    expect(face.landmarks).toHaveLength(478);
    for (const p of face.landmarks) {
      expect(p).toHaveLength(3);
      // every point inside the face box, give or take a few pixels (iris points included)
      expect(p[0]).toBeGreaterThan(face.box[0] - 5);
      expect(p[0]).toBeLessThan(face.box[0] + face.box[2] + 5);
    }
    expect(landscape.faces).toEqual([]);
  });

  it('a file that cannot be decoded is reported on stderr and the exit code is 1; the others still print', async () => {
    requireModels();
    const { io, out, err } = capture();
    const code = await runCli(['detect', '/no/such/photo.jpg', data.graceHopper], io);
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('/no/such/photo.jpg');
    expect(err.join('\n')).toContain('decode-failed');
    expect(out).toEqual([expect.stringMatching(/^grace_hopper\.jpg: 512x600, 1 face \[/)]);
  });

  it('missing models are a set-up error naming the file, exit code 2', async () => {
    const { io, err } = capture();
    expect(await runCli(['detect', data.astronaut, '--models', '/nonexistent-models'], io)).toBe(2);
    expect(err.join('\n')).toContain('/nonexistent-models/blazeface.onnx');
    expect(err.join('\n')).toContain('build:models');
  });

  it('usage errors exit 2: no command, unknown command, no image, bad option value', async () => {
    for (const argv of [[], ['frobnicate'], ['detect'], ['detect', 'x.jpg', '--tile', 'big'], ['detect', 'x.jpg', '--detector', 'side']]) {
      const { io, err } = capture();
      expect(await runCli(argv, io)).toBe(2);
      expect(err.length).toBeGreaterThan(0);
    }
  });

  it('an undeclared option is a usage error naming it, exit 2', async () => {
    const { io, err } = capture();
    expect(await runCli(['detect', 'x.jpg', '--tiles', '200'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/unknown option --tiles \(invalid-argument\)/);
  });

  it('subcommands are a table, so new ones plug in', () => {
    expect(Object.keys(commands)).toEqual(expect.arrayContaining(['detect', 'analyze', 'verify']));
  });
});
