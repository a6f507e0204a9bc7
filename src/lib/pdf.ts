import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The part of pdfkit's API the service uses (the package ships no types). */
export interface Pdf {
  x: number;
  y: number;
  on(event: 'data', fn: (chunk: Buffer) => void): void;
  on(event: 'end', fn: () => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  registerFont(name: string, file: string): Pdf;
  font(name: 'body' | 'bold'): Pdf;
  fontSize(size: number): Pdf;
  text(text: string, x?: number | object, y?: number, opts?: object): Pdf;
  moveDown(lines?: number): Pdf;
  end(): void;
}

const PDFDocument = require('pdfkit') as new (opts: object) => Pdf;
/** DejaVu Sans covers every Vietnamese letter; read from node_modules and embedded in each PDF. */
const FONT_DIR = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

/**
 * An A4 document with the fonts `body` and `bold` registered. `draw` writes the content; the
 * promise gives the finished PDF bytes.
 */
export function renderPdf(
  opts: { title: string; margin: number },
  draw: (doc: Pdf) => void,
): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: opts.margin, info: { Title: opts.title } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('body', path.join(FONT_DIR, 'DejaVuSans.ttf'));
  doc.registerFont('bold', path.join(FONT_DIR, 'DejaVuSans-Bold.ttf'));
  draw(doc);
  doc.end();
  return done;
}
