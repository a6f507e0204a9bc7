import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/** Shared test data (faces from face-api.js's examples), read in place: never copied into the repo. */
export const SHARED_DATA = path.resolve(import.meta.dirname, '../../../shared/data');

export function sharedFile(rel: string): string {
  const p = path.join(SHARED_DATA, rel);
  if (!existsSync(p))
    throw new Error(`Test data missing: ${p} (expected ../shared/data beside the repository)`);
  return p;
}

const W = 640;
const H = 480;

/**
 * A synthetic ID card (card-shaped, printed text and a portrait) lying on a desk, as one 640×480
 * camera frame. Not a real document: it only has to look like a sharp, well-lit card to a camera.
 */
export async function syntheticCardScene(portraitPath: string): Promise<Buffer> {
  const cw = 520;
  const ch = Math.round((cw * 54) / 85.6);
  const portrait = await sharp(portraitPath).resize(110, 140, { fit: 'cover' }).png().toBuffer();
  const lines = [
    'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
    'CĂN CƯỚC CÔNG DÂN — SYNTHETIC TEST CARD',
    'Số / No.: 001 099 000 000',
    'Họ và tên / Full name: NGUYỄN VĂN THỬ',
    'Ngày sinh / Date of birth: 01/01/1990',
    'Giới tính / Sex: Nam   Quốc tịch: Việt Nam',
  ];
  const text = lines
    .map(
      (l, i) =>
        `<text x="${i < 2 ? 260 : 150}" y="${34 + i * 32}" font-family="DejaVu Sans, sans-serif" font-size="${i < 2 ? 15 : 14}" ${i < 2 ? 'text-anchor="middle" font-weight="bold"' : ''} fill="#1a2a4a">${l}</text>`,
    )
    .join('');
  const card = await sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${cw}" height="${ch}">
        <rect width="${cw}" height="${ch}" rx="18" fill="#c9dcec"/>
        <rect x="8" y="8" width="${cw - 16}" height="${ch - 16}" rx="14" fill="none" stroke="#6b8fb5" stroke-width="3"/>
        ${text}
        <rect x="24" y="${ch - 60}" width="${cw - 48}" height="6" fill="#a03030"/>
      </svg>`,
    ),
  )
    .composite([{ input: portrait, left: 22, top: 120 }])
    .png()
    .toBuffer();
  // A mid-grey desk with a little texture so the frame is neither dark nor blown out.
  const desk = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    const v = 95 + ((i * 2654435761) % 23);
    desk[i * 3] = v;
    desk[i * 3 + 1] = v - 8;
    desk[i * 3 + 2] = v - 16;
  }
  return sharp(desk, { raw: { width: W, height: H, channels: 3 } })
    .composite([{ input: card, left: Math.round((W - cw) / 2), top: Math.round((H - ch) / 2) }])
    .png()
    .toBuffer();
}

/** Writes frames as a YUV4MPEG2 (4:2:0) file, the format of Chromium's fake camera. */
export async function writeY4m(file: string, frames: Buffer[], fps = 10): Promise<void> {
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${W} H${H} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (const img of frames) {
    const { data } = await sharp(img)
      .resize(W, H, { fit: 'cover' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const y = Buffer.alloc(W * H);
    const u = Buffer.alloc((W / 2) * (H / 2));
    const v = Buffer.alloc((W / 2) * (H / 2));
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const p = (j * W + i) * 3;
        const r = data[p]!;
        const g = data[p + 1]!;
        const b = data[p + 2]!;
        y[j * W + i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
        if (j % 2 === 0 && i % 2 === 0) {
          const k = (j / 2) * (W / 2) + i / 2;
          u[k] = Math.max(0, Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)));
          v[k] = Math.max(0, Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)));
        }
      }
    }
    parts.push(Buffer.from('FRAME\n'), y, u, v);
  }
  await writeFile(file, Buffer.concat(parts));
}
