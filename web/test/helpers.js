import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** `$SEQDOODLE_SHARED_QUICKDRAW`, else `../shared/quickdraw` beside the repository (absent on
 * machines without the data), as the Python tests find it. */
export const SHARED = process.env.SEQDOODLE_SHARED_QUICKDRAW
  ? path.resolve(process.env.SEQDOODLE_SHARED_QUICKDRAW)
  : path.resolve(WEB, '..', '..', 'shared', 'quickdraw');
export const hasShared = existsSync(path.join(SHARED, 'raw'));

export function fixture(name) {
  return JSON.parse(readFileSync(path.join(WEB, 'fixtures', name), 'utf8'));
}

export function fromBase64(text) {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
