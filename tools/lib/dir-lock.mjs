// A cross-process lock on a folder: mkdir is atomic, and the owner's pid inside lets the next run break a lock that a
// killed process (CI timeout, Ctrl-C, a test worker past its timeout) left behind. Shared by the setup scripts.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function ownerDead(lockDir) {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    if (!(pid > 0)) return false;
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return e.code === 'ESRCH';
  }
}

/**
 * One attempt at taking the lock. 'acquired': it is ours; 'stale-removed': a dead owner's or too old lock was
 * removed, try again at once; 'retry': the lock vanished while looking, try again at once; 'busy': wait, then retry.
 */
export function tryLock(lockDir, staleMs = 10 * 60_000) {
  try {
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, 'pid'), String(process.pid));
    return 'acquired';
  } catch {
    let age;
    try {
      age = Date.now() - statSync(lockDir).mtimeMs;
    } catch {
      return 'retry';
    }
    if (ownerDead(lockDir) || age > staleMs) {
      rmSync(lockDir, { recursive: true, force: true });
      return 'stale-removed';
    }
    return 'busy';
  }
}

export function unlock(lockDir) {
  rmSync(lockDir, { recursive: true, force: true });
}
