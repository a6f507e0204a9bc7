import { documentError } from '../../ekyc/document/errors.ts';
import { type DocumentReadResult, readDocument } from '../../ekyc/document/reader.ts';
import type { Clock } from '../../lib/clock.ts';

export interface DocumentService {
  read(files: { front?: Buffer | undefined; back?: Buffer | undefined }): Promise<DocumentReadResult>;
}

/** One document read at a time per process: tesseract's workers are shared and CPU-bound. */
export function createDocumentService(deps: { clock: Clock }): DocumentService {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    read(files) {
      if (!files.front) throw documentError('ERR_DOCUMENT_FRONT_REQUIRED');
      const front = files.front;
      const run = queue.then(() => readDocument({ front, back: files.back, now: deps.clock.now() }));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
