import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RawImage } from './geometry.ts';

/**
 * zxing-wasm with its .wasm read from node_modules (the package's default fetches it from a CDN).
 * Loaded once per process.
 */
type ZX = typeof import('zxing-wasm/full');
let loading: Promise<ZX> | undefined;

export function loadZxing(): Promise<ZX> {
  loading ??= (async () => {
    const zx = await import('zxing-wasm/full');
    const require = createRequire(import.meta.url);
    const entry = require.resolve('zxing-wasm/full');
    const wasm = path.join(
      entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)),
      'dist/full/zxing_full.wasm',
    );
    const bytes = readFileSync(wasm);
    await zx.prepareZXingModule({
      overrides: {
        wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      },
      fireImmediately: true,
    });
    return zx;
  })();
  return loading;
}

export interface QrHit {
  text: string;
  /** Centre of the symbol in image pixels. */
  center: [number, number];
  /** Rotation of the symbol in degrees, as zxing reports it. */
  orientation: number;
}

export async function readQr(img: RawImage): Promise<QrHit | null> {
  const zx = await loadZxing();
  const n = img.width * img.height;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = img.data[i * img.channels]!;
    rgba[i * 4 + 1] = img.data[i * img.channels + 1]!;
    rgba[i * 4 + 2] = img.data[i * img.channels + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  const results = await zx.readBarcodes(
    { data: rgba, width: img.width, height: img.height, colorSpace: 'srgb' } as unknown as Parameters<
      ZX['readBarcodes']
    >[0],
    { formats: ['QRCode'], tryHarder: true, tryRotate: true, tryInvert: false, maxNumberOfSymbols: 1 },
  );
  const hit = results.find((r) => r.isValid && r.text);
  if (!hit) return null;
  const p = hit.position;
  const cx = (p.topLeft.x + p.topRight.x + p.bottomRight.x + p.bottomLeft.x) / 4;
  const cy = (p.topLeft.y + p.topRight.y + p.bottomRight.y + p.bottomLeft.y) / 4;
  return { text: hit.text, center: [cx, cy], orientation: hit.orientation };
}

/** QR code as SVG (used by the synthetic card renderer). */
export async function writeQrSvg(text: string): Promise<string> {
  const zx = await loadZxing();
  const r = await zx.writeBarcode(text, { format: 'QRCode', ecLevel: 'M', scale: 0 } as never);
  if (r.error) throw new Error(`QR write failed: ${r.error}`);
  return r.svg;
}
