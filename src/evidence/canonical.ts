// Canonical JSON for evidence, version 1. The same value always serialises to the same bytes, so it always hashes
// the same:
//  - object keys sorted by UTF-16 code units (Array.prototype.sort's default order), no whitespace anywhere;
//  - strings as JSON.stringify writes them (ECMAScript escapes: only ", \ and control characters are escaped);
//  - numbers as their shortest round-trip decimal (JSON.stringify), -0 written as 0; NaN and infinities are not
//    JSON and are rejected;
//  - only null, booleans, finite numbers, strings, arrays and plain objects.
// Rounding is not part of serialisation (a verifier must see every digit): the recorder quantises measurements with
// `quantize` before they enter a record, so records only hold values that are already exact on the 1e-4 grid.
import { LivecheckError } from '../errors.js';

/** Measurements are stored on a 1e-4 grid (1e-4 px for landmarks and boxes, 1e-4 ms for timestamps). */
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
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

function write(value: unknown, out: string[], path: string): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new LivecheckError('invalid-argument', `canonical JSON cannot hold ${value} at ${path}`, { path });
      out.push(value === 0 ? '0' : JSON.stringify(value));
      return;
    case 'object': {
      if (value === null) {
        out.push('null');
        return;
      }
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          write(value[i], out, `${path}[${i}]`);
        }
        out.push(']');
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new LivecheckError('invalid-argument', `canonical JSON holds plain objects only, not ${proto?.constructor?.name ?? 'this'} at ${path}`, { path });
      const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
      out.push('{');
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out.push(',');
        out.push(JSON.stringify(keys[i]), ':');
        write((value as Record<string, unknown>)[keys[i]], out, `${path}.${keys[i]}`);
      }
      out.push('}');
      return;
    }
    default:
      throw new LivecheckError('invalid-argument', `canonical JSON cannot hold a ${typeof value} at ${path}`, { path });
  }
}
