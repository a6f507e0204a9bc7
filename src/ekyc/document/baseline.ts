import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { createWorker, OEM, type Worker } from 'tesseract.js';
import { dmyToIso, normalizeName, normalizeSex } from './normalize.ts';

/**
 * The baseline a user would try first: plain tesseract.js `vie` on the whole photo (automatic page
 * segmentation), then regular expressions. Used by eval/bench only, measured side by side.
 */
const require = createRequire(import.meta.url);
let worker: Promise<Worker> | undefined;

export function baselineWorker(): Promise<Worker> {
  worker ??= createWorker('vie', OEM.LSTM_ONLY, {
    langPath: path.join(
      path.dirname(require.resolve('@tesseract.js-data/vie/package.json')),
      '4.0.0_best_int',
    ),
    cacheMethod: 'none',
    gzip: true,
    logger: () => {},
    errorHandler: () => {},
  }).then(async (w) => {
    await w.setParameters({ user_defined_dpi: '300' });
    return w;
  });
  return worker;
}

export async function baselineRead(image: Buffer): Promise<Record<string, string | null>> {
  const w = await baselineWorker();
  const png = await sharp(image).rotate().greyscale().png().toBuffer();
  const text = (await w.recognize(png)).data.text.normalize('NFC');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const dates = [...text.matchAll(/(\d{1,2})\s*\/\s*(\d{1,2})\s*\/\s*(\d{4})/g)].map((m) =>
    dmyToIso(`${m[1]}/${m[2]}/${m[3]}`),
  );
  const id = /\b(\d{12}|\d{9})\b/.exec(text.replace(/(\d) (\d)/g, '$1$2'))?.[1] ?? null;
  let name: string | null = null;
  const li = lines.findIndex((l) => /full name|họ và tên|họ tên|tên khai sinh/i.test(l));
  if (li >= 0) {
    const after = lines[li]!.split(/:/).slice(1).join(':').trim();
    const cand = after.length > 3 ? after : (lines[li + 1] ?? '');
    name = normalizeName(cand.replace(/[^\p{L}\s]/gu, ' ')) || null;
  }
  const sexM = /(?:giới tính|sex)[^:]*:\s*(\S+)/i.exec(text);
  return {
    id_number: id,
    full_name: name,
    date_of_birth: dates[0] ?? null,
    sex: sexM ? normalizeSex(sexM[1] ?? '') : null,
    date_of_expiry: dates.length > 1 ? (dates[dates.length - 1] ?? null) : null,
  };
}
