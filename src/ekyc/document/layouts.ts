/**
 * Card layouts in pixels of the flattened card: ID-1 cards (85.6 × 53.98 mm) at 1012 × 638, the
 * passport data page (125 × 88 mm) at 1000 × 704. The reader cuts fields by these boxes; the
 * synthetic renderer draws the same real layouts.
 */
export type DocType = 'cccd_chip' | 'cccd' | 'cmnd' | 'can_cuoc' | 'passport';
export type Side = 'front' | 'back';

export type FieldName =
  | 'id_number'
  | 'full_name'
  | 'date_of_birth'
  | 'sex'
  | 'nationality'
  | 'place_of_origin'
  | 'place_of_residence'
  | 'place_of_birth'
  | 'date_of_issue'
  | 'date_of_expiry'
  | 'old_id_number'
  | 'personal_features'
  | 'ethnicity'
  | 'religion'
  | 'passport_number';

export type FieldKind = 'id' | 'name' | 'date' | 'sex' | 'text' | 'dmy_words';

export interface FieldLayout {
  field: FieldName;
  kind: FieldKind;
  /** Printed label and where its baseline starts. */
  label: string;
  labelAt: [number, number];
  /** Value box [x, y, w, h]; `lines` > 1 splits the box into equal rows. */
  box: [number, number, number, number];
  size: number;
  lines?: number;
  bold?: boolean;
  color?: string;
}

export interface Layout {
  type: DocType;
  side: Side;
  width: number;
  height: number;
  title?: { text: string; at: [number, number]; size: number; color: string }[];
  photo?: [number, number, number, number];
  qr?: [number, number, number];
  mrz?: { lines: number; chars: number; at: [number, number]; lineHeight: number; size: number };
  chip?: [number, number, number, number];
  fingerprints?: [number, number, number, number][];
  fields: FieldLayout[];
  /** Words (folded, upper case) that identify this side in the top strip. */
  keywords: string[];
}

export const CARD_W = 1012;
export const CARD_H = 638;
export const PASSPORT_W = 1000;
export const PASSPORT_H = 704;

const NATIONAL = [
  {
    text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
    at: [555, 50] as [number, number],
    size: 23,
    color: '#1a1a1a',
  },
  { text: 'Độc lập - Tự do - Hạnh phúc', at: [555, 82] as [number, number], size: 21, color: '#1a1a1a' },
];

const f = (
  field: FieldName,
  kind: FieldKind,
  label: string,
  labelAt: [number, number],
  box: [number, number, number, number],
  size: number,
  extra: Partial<FieldLayout> = {},
): FieldLayout => ({ field, kind, label, labelAt, box, size, bold: true, ...extra });

const cccdFront = (type: 'cccd_chip' | 'cccd'): Layout => ({
  type,
  side: 'front',
  width: CARD_W,
  height: CARD_H,
  title: [
    ...NATIONAL,
    { text: 'CĂN CƯỚC CÔNG DÂN', at: [555, 135], size: 34, color: '#c0161d' },
    { text: 'Citizen Identity Card', at: [555, 165], size: 20, color: '#1a1a1a' },
  ],
  photo: [40, 200, 230, 300],
  ...(type === 'cccd_chip' ? { qr: [846, 14, 152] as [number, number, number] } : {}),
  keywords: ['CONG DAN', 'CITIZEN'],
  fields: [
    f('id_number', 'id', 'Số / No.:', [300, 232], [430, 196, 440, 48], 36, { color: '#1a1a1a' }),
    f('full_name', 'name', 'Họ và tên / Full name:', [300, 278], [300, 288, 690, 44], 30),
    f('date_of_birth', 'date', 'Ngày sinh / Date of birth:', [300, 372], [590, 340, 250, 42], 26),
    f('sex', 'sex', 'Giới tính / Sex:', [300, 416], [480, 384, 110, 42], 26),
    f('nationality', 'text', 'Quốc tịch / Nationality:', [600, 416], [840, 384, 160, 42], 26),
    f('place_of_origin', 'text', 'Quê quán / Place of origin:', [300, 458], [300, 466, 690, 40], 24),
    f(
      'place_of_residence',
      'text',
      'Nơi thường trú / Place of residence:',
      [300, 538],
      [300, 546, 690, 80],
      24,
      {
        lines: 2,
      },
    ),
    f('date_of_expiry', 'date', 'Có giá trị đến:', [40, 536], [40, 546, 240, 40], 22),
  ],
});

const cccdBack = (type: 'cccd_chip' | 'cccd'): Layout => ({
  type,
  side: 'back',
  width: CARD_W,
  height: CARD_H,
  fingerprints: [
    [640, 40, 160, 200],
    [820, 40, 160, 200],
  ],
  ...(type === 'cccd_chip'
    ? {
        chip: [400, 250, 120, 95] as [number, number, number, number],
        mrz: { lines: 3, chars: 30, at: [40, 462] as [number, number], lineHeight: 52, size: 38 },
      }
    : {}),
  keywords: ['DAC DIEM', 'IDENTIFICATION', 'NHAN DANG'],
  title: [{ text: 'CỤC TRƯỞNG CỤC CẢNH SÁT QLHC VỀ TTXH', at: [250, 250], size: 18, color: '#1a1a1a' }],
  fields: [
    f(
      'personal_features',
      'text',
      'Đặc điểm nhân dạng / Personal identification:',
      [40, 50],
      [40, 58, 580, 76],
      22,
      {
        lines: 2,
      },
    ),
    f('date_of_issue', 'date', 'Ngày, tháng, năm / Date, month, year:', [40, 166], [40, 174, 260, 42], 26),
  ],
});

const canCuocFront: Layout = {
  type: 'can_cuoc',
  side: 'front',
  width: CARD_W,
  height: CARD_H,
  title: [
    ...NATIONAL,
    { text: 'CĂN CƯỚC', at: [555, 135], size: 36, color: '#c0161d' },
    { text: 'IDENTITY CARD', at: [555, 165], size: 20, color: '#1a1a1a' },
  ],
  photo: [40, 200, 230, 300],
  chip: [870, 30, 110, 90],
  keywords: ['IDENTITY CARD', 'CAN CUOC'],
  fields: [
    f(
      'id_number',
      'id',
      'Số định danh cá nhân / Personal identification number:',
      [300, 222],
      [300, 230, 440, 48],
      36,
    ),
    f('full_name', 'name', 'Họ, chữ đệm và tên khai sinh / Full name:', [300, 312], [300, 322, 690, 44], 30),
    f('date_of_birth', 'date', 'Ngày, tháng, năm sinh / Date of birth:', [300, 410], [300, 420, 250, 42], 26),
    f('sex', 'sex', 'Giới tính / Sex:', [600, 410], [600, 420, 110, 42], 26),
    f('nationality', 'text', 'Quốc tịch / Nationality:', [300, 500], [300, 510, 250, 42], 26),
  ],
};

const canCuocBack: Layout = {
  type: 'can_cuoc',
  side: 'back',
  width: CARD_W,
  height: CARD_H,
  qr: [24, 24, 160],
  mrz: { lines: 3, chars: 30, at: [40, 462], lineHeight: 52, size: 38 },
  keywords: ['NOI CU TRU', 'RESIDENCE'],
  title: [{ text: 'BỘ CÔNG AN', at: [860, 420], size: 20, color: '#1a1a1a' }],
  fields: [
    f('place_of_residence', 'text', 'Nơi cư trú / Place of residence:', [210, 50], [210, 58, 780, 80], 24, {
      lines: 2,
    }),
    f(
      'place_of_birth',
      'text',
      'Nơi đăng ký khai sinh / Place of birth:',
      [210, 170],
      [210, 178, 780, 40],
      24,
    ),
    f('date_of_issue', 'date', 'Ngày, tháng, năm cấp / Date of issue:', [210, 256], [210, 264, 260, 42], 26),
    f(
      'date_of_expiry',
      'date',
      'Ngày, tháng, năm hết hạn / Date of expiry:',
      [520, 256],
      [520, 264, 260, 42],
      26,
    ),
  ],
};

const cmndFront: Layout = {
  type: 'cmnd',
  side: 'front',
  width: CARD_W,
  height: CARD_H,
  title: [
    { text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', at: [620, 40], size: 20, color: '#1a1a1a' },
    { text: 'GIẤY CHỨNG MINH NHÂN DÂN', at: [620, 100], size: 34, color: '#1a1a1a' },
  ],
  photo: [40, 220, 220, 280],
  keywords: ['CHUNG MINH', 'NHAN DAN'],
  fields: [
    f('id_number', 'id', 'SỐ', [420, 165], [480, 126, 330, 50], 40, { color: '#c0161d' }),
    f('full_name', 'name', 'Họ tên:', [290, 232], [400, 198, 600, 46], 30),
    f('date_of_birth', 'date', 'Sinh ngày:', [290, 300], [440, 266, 260, 44], 28),
    f('place_of_origin', 'text', 'Nguyên quán:', [290, 362], [290, 372, 710, 40], 24),
    f('place_of_residence', 'text', 'Nơi ĐKHK thường trú:', [290, 462], [290, 472, 710, 80], 24, {
      lines: 2,
    }),
  ],
};

const cmndBack: Layout = {
  type: 'cmnd',
  side: 'back',
  width: CARD_W,
  height: CARD_H,
  fingerprints: [
    [40, 300, 170, 210],
    [230, 300, 170, 210],
  ],
  keywords: ['DAN TOC', 'TON GIAO', 'DAU VET'],
  title: [{ text: 'DẤU VẾT RIÊNG VÀ DỊ HÌNH', at: [224, 130], size: 24, color: '#1a1a1a' }],
  fields: [
    f('ethnicity', 'text', 'Dân tộc:', [40, 64], [160, 30, 300, 46], 28),
    f('religion', 'text', 'Tôn giáo:', [500, 64], [630, 30, 340, 46], 28),
    f('personal_features', 'text', '', [40, 180], [40, 146, 900, 44], 24),
    f('date_of_issue', 'dmy_words', '', [480, 330], [480, 296, 500, 44], 26),
  ],
};

const passport: Layout = {
  type: 'passport',
  side: 'front',
  width: PASSPORT_W,
  height: PASSPORT_H,
  title: [
    { text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', at: [560, 40], size: 22, color: '#1a1a1a' },
    { text: 'HỘ CHIẾU / PASSPORT', at: [560, 80], size: 30, color: '#1a1a1a' },
  ],
  photo: [40, 120, 240, 320],
  mrz: { lines: 2, chars: 44, at: [30, 572], lineHeight: 54, size: 32 },
  keywords: ['HO CHIEU', 'PASSPORT'],
  fields: [
    f('passport_number', 'id', 'Số hộ chiếu / Passport No.:', [300, 130], [300, 138, 300, 42], 30),
    f('full_name', 'name', 'Họ và tên / Full name:', [300, 210], [300, 218, 680, 42], 28),
    f('nationality', 'text', 'Quốc tịch / Nationality:', [300, 290], [300, 298, 300, 42], 26),
    f('date_of_birth', 'date', 'Ngày sinh / Date of birth:', [620, 290], [620, 298, 260, 42], 26),
    f('sex', 'sex', 'Giới tính / Sex:', [300, 370], [300, 378, 120, 42], 26),
    f('id_number', 'id', 'Số GCMND / ID card No.:', [620, 370], [620, 378, 320, 42], 26),
    f('date_of_issue', 'date', 'Ngày cấp / Date of issue:', [300, 450], [300, 458, 260, 42], 26),
    f('date_of_expiry', 'date', 'Có giá trị đến / Date of expiry:', [620, 450], [620, 458, 260, 42], 26),
  ],
};

export const LAYOUTS: Layout[] = [
  cccdFront('cccd_chip'),
  cccdBack('cccd_chip'),
  cccdFront('cccd'),
  cccdBack('cccd'),
  canCuocFront,
  canCuocBack,
  cmndFront,
  cmndBack,
  passport,
];

export function layoutOf(type: DocType, side: Side): Layout {
  const l = LAYOUTS.find((x) => x.type === type && x.side === side);
  if (!l) throw new Error(`no layout for ${type} ${side}`);
  return l;
}
