import { createRequire } from 'node:module';
import path from 'node:path';
import { createScheduler, createWorker, OEM, PSM, type Scheduler, type Worker } from 'tesseract.js';

/**
 * tesseract.js workers, created once per process and reused: `vie` (best_int) for printed fields,
 * `eng` with a character whitelist for the MRZ. Language data is read from the
 * @tesseract.js-data packages on disk (no CDN, no cache directory).
 */
const require = createRequire(import.meta.url);
const dataDir = (lang: 'vie' | 'eng') =>
  path.join(path.dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`)), '4.0.0_best_int');

export interface OcrEngine {
  /** One printed line (page segmentation mode 7), with each word's confidence and left edge (pixels). */
  line(png: Buffer): Promise<{ text: string; confidence: number; words: OcrWord[] }>;
  /** The `eng` reader with the MRZ alphabet (A–Z, 0–9, <): MRZ strips, and ID numbers read a second way. */
  mrz(png: Buffer): Promise<{ text: string; confidence: number }>;
  terminate(): Promise<void>;
}

export interface OcrWord {
  text: string;
  confidence: number;
  left: number;
}

let engine: Promise<OcrEngine> | undefined;

async function makeWorker(lang: 'vie' | 'eng'): Promise<Worker> {
  return createWorker(lang, OEM.LSTM_ONLY, {
    langPath: dataDir(lang),
    cacheMethod: 'none',
    gzip: true,
    logger: () => {},
    errorHandler: () => {},
  });
}

/** Two `vie` workers (one per core) behind a scheduler, one `eng` worker for the MRZ. */
export function getOcr(): Promise<OcrEngine> {
  engine ??= (async () => {
    const scheduler: Scheduler = createScheduler();
    const [v1, v2, mrzWorker] = await Promise.all([makeWorker('vie'), makeWorker('vie'), makeWorker('eng')]);
    for (const w of [v1, v2]) {
      await w.setParameters({
        tessedit_pageseg_mode: PSM.SINGLE_LINE,
        preserve_interword_spaces: '1',
        user_defined_dpi: '300',
      });
      scheduler.addWorker(w);
    }
    await mrzWorker.setParameters({
      tessedit_char_whitelist: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<',
      tessedit_pageseg_mode: PSM.SINGLE_BLOCK,
      user_defined_dpi: '300',
    });
    return {
      async line(png) {
        const r = await scheduler.addJob('recognize', png, {}, { text: true, blocks: true });
        const words = (r.data.blocks?.[0]?.paragraphs[0]?.lines[0]?.words ?? []).map((w) => ({
          text: w.text,
          confidence: w.confidence,
          left: w.bbox.x0,
        }));
        return { text: r.data.text, confidence: r.data.confidence, words };
      },
      async mrz(png) {
        const r = await mrzWorker.recognize(png);
        return { text: r.data.text, confidence: r.data.confidence };
      },
      async terminate() {
        await scheduler.terminate();
        await mrzWorker.terminate();
        engine = undefined;
      },
    };
  })();
  return engine;
}
