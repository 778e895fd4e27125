// `livecheck serve` as an operator starts it: the built CLI in a process of its own, on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './data.js';

export interface ServeProcess {
  child: ChildProcess;
  /** Where it listens, as it printed. */
  url: string;
  /** What it wrote to stderr. */
  log: string[];
}

/** Starts `livecheck serve --port 0 ...args` and resolves once it prints where it listens. */
export async function startServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'livecheck.mjs'), 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`livecheck serve exited ${code}: ${log.join('')}`)));
  });
  return { child, url, log };
}
