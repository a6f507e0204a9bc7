import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** `../shared/data` beside the repository (never copied into it). */
export const SHARED_DATA = path.resolve(import.meta.dirname, '../../../../shared/data');

export function sharedFace(rel: string): Buffer {
  const p = path.join(SHARED_DATA, 'faces', rel);
  if (!existsSync(p))
    throw new Error(`Shared test data missing: ${p} (expected ../shared/data beside the repository)`);
  return readFileSync(p);
}

/** A multipart/form-data body with one file part named `file`. */
export function multipartFile(file: Buffer, filename = 'image.png', type = 'image/png') {
  const boundary = `----ekyc${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, file, tail]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
