import sharp from 'sharp';
import type { Db } from '../../db/client.ts';
import { getOcr } from '../../ekyc/document/ocr.ts';
import { type DocumentReadResult, readDocument } from '../../ekyc/document/reader.ts';
import {
  type AnalyzedFace,
  analyzeImage,
  type CompareResult,
  compareAnalyzed,
  DEFAULT_THRESHOLD,
} from '../../ekyc/face/engine.ts';
import { loadFaceModels } from '../../ekyc/face/models.ts';
import { decodeImage } from '../../ekyc/image.ts';
import type { Action, Frame } from '../../ekyc/liveness/engine.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Envelope } from '../../lib/crypto/envelope.ts';
import { createChipService } from '../chip/chip.service.ts';
import { createFaceTemplateService, type FaceTemplateService } from '../faces/faces.service.ts';
import { createLivenessService } from '../liveness/liveness.service.ts';

export type { AnalyzedFace };

/**
 * The recognition engines a session runs, as typed adapters over the engines' own modules:
 * one way to do each thing, so the session service never knows how an engine is built.
 */
export interface FaceEngine {
  analyze(buf: Buffer, kind: 'selfie' | 'document'): Promise<AnalyzedFace>;
  compare(a: AnalyzedFace, b: AnalyzedFace): CompareResult;
  templates: FaceTemplateService;
  /** The card portrait cut from a document photo (box in the reader's 1600 px decode), as PNG. */
  cropPortrait(photo: Buffer, box: [number, number, number, number]): Promise<Buffer>;
  ready(): Promise<boolean>;
}
export type ChipEngine = ReturnType<typeof createChipService>;
export interface DocumentEngine {
  read(front: Buffer, back: Buffer | undefined, now: Date): Promise<DocumentReadResult>;
}
export type LivenessEngine = ReturnType<typeof createLivenessService>;
export type { Action, Frame };

export interface Engines {
  face: FaceEngine;
  chip: ChipEngine;
  document: DocumentEngine;
  liveness: LivenessEngine;
  /** Stops the OCR workers if a document was read (they would keep the process alive). */
  close(): Promise<void>;
}

export function createEngines(deps: { db: Db; clock: Clock; envelope: Envelope }): Engines {
  let ocrStarted = false;
  return {
    face: {
      analyze: async (buf, kind) => analyzeImage(buf, { kind }, await loadFaceModels()),
      compare: (a, b) => compareAnalyzed(a, b, DEFAULT_THRESHOLD),
      templates: createFaceTemplateService(deps),
      async cropPortrait(photo, box) {
        // Not downscaled: the reader gives the box in the uploaded photo's own pixels (EXIF applied).
        const img = await decodeImage(photo, { minSide: 200 });
        // A margin around the printed photo: the face detector wants some context.
        const [x, y, w, h] = box;
        const mx = w * 0.25;
        const my = h * 0.2;
        const left = Math.max(0, Math.floor(x - mx));
        const top = Math.max(0, Math.floor(y - my));
        const width = Math.min(img.width - left, Math.ceil(w + 2 * mx));
        const height = Math.min(img.height - top, Math.ceil(h + 2 * my));
        return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
          .extract({ left, top, width, height })
          .png()
          .toBuffer();
      },
      ready: async () => {
        await loadFaceModels();
        return true;
      },
    },
    chip: createChipService(deps),
    document: {
      read: (front, back, now) => {
        ocrStarted = true;
        return readDocument({ front, back, now });
      },
    },
    liveness: createLivenessService({ db: deps.db, clock: deps.clock, models: loadFaceModels }),
    async close() {
      if (ocrStarted) await (await getOcr()).terminate();
      ocrStarted = false;
    },
  };
}
