// Canonical JSON for evidence, version 1. The same value always serialises to the same bytes, so it always hashes
// the same:
//  - object keys sorted by UTF-16 code units (Array.prototype.sort's default order), no whitespace anywhere;
//  - strings as JSON.stringify writes them (ECMAScript escapes: only ", \ and control characters are escaped);
//  - numbers as their shortest round-trip decimal (JSON.stringify), -0 written as 0; NaN and infinities are not
//    JSON and are rejected;
//  - only null, booleans, finite numbers, strings, arrays and plain objects.
// Rounding is not part of serialisation (a verifier must see every digit): the recorder puts numbers on their grids
// (face points on 0.1 px, times on the microsecond, scores with `quantize`) before they enter a record, so every
// number in a record round-trips through its text unchanged.
import { LivecheckError } from '../errors.js';

/** The evidence grid for scores: 1e-4. */
export const QUANTUM = 1e-4;
const SCALE = 1e4;
// Above this magnitude x * 1e4 loses integer precision; such values (epoch milliseconds) are rounded to integers.
const FINE_LIMIT = 2 ** 53 / SCALE / 2;

/**
 * Round a measurement onto the evidence grid: integers stay, other values go to the nearest multiple of 1e-4
 * (to the nearest integer beyond 4.5e11). NaN and infinities become null (JSON has no NaN). Idempotent.
 */
export function quantize(x: number): number | null {
  if (!Number.isFinite(x)) return null;
  if (Number.isInteger(x)) return x === 0 ? 0 : x;
  if (Math.abs(x) >= FINE_LIMIT) return Math.round(x);
  const q = Math.round(x * SCALE) / SCALE;
  return q === 0 ? 0 : q;
}

/** Canonical JSON text of `value` (see the rules above). Throws `invalid-argument` on values JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  // The path is a stack of keys, joined only for an error message: building it per element costs more than the rest.
  return write(value, []);
}

function fail(what: string, path: (string | number)[]): never {
  const where = '$' + path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
  throw new LivecheckError('invalid-argument', `canonical JSON cannot hold ${what} at ${where}`, { path: where });
}

function write(value: unknown, path: (string | number)[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) return fail(String(value), path);
      return value === 0 ? '0' : String(value); // String(x) and JSON.stringify(x) agree for finite numbers
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        if (value.length <= 4 && isFiniteTuple(value)) {
          // Landmarks and colours: the bulk of a bundle; one small concatenation instead of a rope per element.
          let out = '[';
          for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (value[i] === 0 ? '0' : String(value[i]));
          return out + ']';
        }
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          out += (i > 0 ? ',' : '') + write(value[i], path);
          path.pop();
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return fail(`a ${proto?.constructor?.name ?? 'non-plain object'}`, path);
      const keys = Object.keys(value).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue; // like JSON.stringify: an undefined property is absent
        path.push(k);
        out += (first ? '' : ',') + JSON.stringify(k) + ':' + write(v, path);
        path.pop();
        first = false;
      }
      return out + '}';
    }
    default:
      return fail(`a ${typeof value}`, path);
  }
}

function isFiniteTuple(a: unknown[]): a is number[] {
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'number' || !Number.isFinite(a[i])) return false;
  return true;
}
