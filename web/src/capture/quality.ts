/** Live capture hints from one video frame: brightness, glare (clipped highlights) and sharpness. */
export interface FrameQuality {
  brightness: number; // mean luma 0..255
  glare: number; // share of clipped pixels 0..1
  sharpness: number; // variance of the Laplacian on a downscaled frame
}

export type Hint = 'dark' | 'glare' | 'blur' | 'ok';

export function measure(data: Uint8ClampedArray, width: number, height: number): FrameQuality {
  const n = width * height;
  const luma = new Float32Array(n);
  let sum = 0;
  let clipped = 0;
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    const y = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
    luma[i] = y;
    sum += y;
    if (y >= 250) clipped++;
  }
  let lapSum = 0;
  let lapSq = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l = 4 * luma[i]! - luma[i - 1]! - luma[i + 1]! - luma[i - width]! - luma[i + width]!;
      lapSum += l;
      lapSq += l * l;
      count++;
    }
  }
  const mean = count ? lapSum / count : 0;
  return {
    brightness: n ? sum / n : 0,
    glare: n ? clipped / n : 0,
    sharpness: count ? lapSq / count - mean * mean : 0,
  };
}

/** Generic photographic limits (not tuned to any sample set): too dark, blown highlights, motion blur. */
export function hintFor(q: FrameQuality): Hint {
  if (q.brightness < 60) return 'dark';
  if (q.glare > 0.04) return 'glare';
  if (q.sharpness < 40) return 'blur';
  return 'ok';
}
