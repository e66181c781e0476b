// Site photos from the phone page: a JPEG or PNG sent as a data URL, checked by its first bytes (not by
// what the browser claims), at most MAX_PHOTO_BYTES, stored under <dataDir>/photos/<caseId>/ as
// <sha256>.<ext> (0600, directory 0700) and named in the handled step.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MAX_PHOTO_BYTES = 3 * 1024 * 1024;
const NAME = /^[0-9a-f]{64}\.(jpg|png)$/;
const CASE_ID = /^[A-Za-z0-9_.-]{1,160}$/;

export class PhotoError extends Error {
  override readonly name = 'PhotoError';
}

function kind(bytes: Buffer): 'jpg' | 'png' | undefined {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  return undefined;
}

export class PhotoStore {
  constructor(private readonly dir: string) {}

  /** Saves a data URL's image; returns its file name. */
  save(caseId: string, dataUrl: string): string {
    if (!CASE_ID.test(caseId)) throw new PhotoError(`photo: bad case id ${caseId.slice(0, 40)}`);
    const comma = dataUrl.indexOf(',');
    if (!dataUrl.startsWith('data:image/') || comma < 0 || !dataUrl.slice(0, comma).endsWith(';base64')) throw new PhotoError('照片应为 JPEG 或 PNG / the photo must be a JPEG or PNG data URL');
    const bytes = Buffer.from(dataUrl.slice(comma + 1), 'base64');
    if (bytes.length > MAX_PHOTO_BYTES) throw new PhotoError(`照片过大（最大 3 MB）/ photo over ${MAX_PHOTO_BYTES} bytes`);
    const ext = kind(bytes);
    if (!ext) throw new PhotoError('照片应为 JPEG 或 PNG / the photo is not a JPEG or PNG');
    const name = `${createHash('sha256').update(bytes).digest('hex')}.${ext}`;
    const caseDir = join(this.dir, caseId);
    mkdirSync(caseDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(caseDir, name), bytes, { mode: 0o600 });
    return name;
  }

  read(caseId: string, name: string): { bytes: Buffer; type: string } | undefined {
    if (!CASE_ID.test(caseId) || !NAME.test(name)) return undefined;
    try {
      return { bytes: readFileSync(join(this.dir, caseId, name)), type: name.endsWith('.png') ? 'image/png' : 'image/jpeg' };
    } catch {
      return undefined;
    }
  }
}
