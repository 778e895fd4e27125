// The ID document record the CLI binds a capture to (`analyze --evidence --document`, `verify --document`).
import { readFileSync } from 'node:fs';
import { LivecheckError } from '../errors.js';
import { canonicalJson } from '../evidence/canonical.js';
import { sha256 } from '../evidence/encoding.js';
import { toHex } from '../util/hex.js';
import type { DocumentBinding } from '../evidence/bundle.js';

/**
 * The ID document record from a metadata file: a JSON object with `uploadedAt` (epoch ms or an ISO 8601 date). The
 * binding's hash is the SHA-256 of the object's canonical JSON, so formatting of the file does not matter.
 */
export async function readDocumentBinding(file: string): Promise<DocumentBinding> {
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new LivecheckError('invalid-argument', `--document: cannot read ${file} as JSON`, { file }, { cause });
  }
  const at = (meta as { uploadedAt?: unknown } | null)?.uploadedAt;
  const uploadedAt = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : NaN;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || !Number.isFinite(uploadedAt)) {
    throw new LivecheckError('invalid-argument', `--document: ${file} must be a JSON object with uploadedAt (epoch ms or ISO date)`, { file });
  }
  return { metadataHash: toHex(await sha256(new TextEncoder().encode(canonicalJson(meta)))), uploadedAt: Math.round(uploadedAt) };
}
