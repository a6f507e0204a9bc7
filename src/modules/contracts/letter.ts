import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The part of pdfkit's API used here (the package ships no types; imported by name so tsc does not look). */
interface Pdf {
  on(event: 'data', cb: (chunk: Buffer) => void): Pdf;
  on(event: 'end', cb: () => void): Pdf;
  on(event: 'error', cb: (err: Error) => void): Pdf;
  registerFont(name: string, file: string): Pdf;
  font(name: string): Pdf;
  fontSize(size: number): Pdf;
  text(text: string, opts?: { align?: 'left' | 'right' | 'center' }): Pdf;
  moveDown(lines?: number): Pdf;
  end(): void;
}
const PDFKIT = 'pdfkit';
const PDFDocument = ((await import(PDFKIT)) as { default: new (opts: object) => Pdf }).default;
/** DejaVu Sans covers Vietnamese diacritics; shipped in the npm package `dejavu-fonts-ttf`, read offline. */
const FONT_DIR = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const FONT = path.join(FONT_DIR, 'DejaVuSans.ttf');
const FONT_BOLD = path.join(FONT_DIR, 'DejaVuSans-Bold.ttf');

export interface LetterInput {
  customerName: string;
  customerAddress: string | null;
  contractId: string;
  unitName: string;
  loginEmail: string | null;
  portalUrl: string;
  startDate: string;
  endDate: string;
  date: string;
}

/** The account-activation letter (A4, Vietnamese then English) as PDF bytes. No secrets in it. */
export function renderAccountLetter(p: LetterInput): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `eKYC ${p.contractId}` } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.registerFont('body', FONT);
    doc.registerFont('bold', FONT_BOLD);
    const vn = (iso: string) => iso.split('-').reverse().join('/');

    doc.font('bold').fontSize(11).text('TỔNG CÔNG TY VIỄN THÔNG MOBIFONE');
    doc.font('body').text(p.unitName);
    doc.moveDown().text(`Ngày / Date: ${vn(p.date)}`, { align: 'right' });
    doc.moveDown().font('bold').text(`Kính gửi / To: ${p.customerName}`);
    if (p.customerAddress) doc.font('body').text(p.customerAddress);
    doc
      .moveDown()
      .font('bold')
      .fontSize(13)
      .text('THÔNG BÁO KÍCH HOẠT DỊCH VỤ MOBIFONE eKYC', { align: 'center' });
    doc.font('body').fontSize(10).text('MobiFone eKYC service activation notice', { align: 'center' });
    doc.moveDown().fontSize(11);
    doc.text(
      `Dịch vụ xác thực danh tính MobiFone eKYC theo hợp đồng số ${p.contractId} đã được kích hoạt, ` +
        `hiệu lực từ ngày ${vn(p.startDate)} đến ngày ${vn(p.endDate)}.`,
    );
    doc.moveDown(0.5).text(`Cổng quản trị: ${p.portalUrl}`);
    if (p.loginEmail) doc.text(`Tài khoản quản trị: ${p.loginEmail}`);
    doc.text('Mật khẩu tạm thời và khóa API được bàn giao riêng, không in trong thư này.');
    doc.moveDown();
    doc.text(
      `The MobiFone eKYC identity verification service under contract ${p.contractId} is active ` +
        `from ${p.startDate} to ${p.endDate}. Portal: ${p.portalUrl}` +
        (p.loginEmail ? `; administrator login: ${p.loginEmail}.` : '.') +
        ' The temporary password and API key are handed over separately and are not printed here.',
    );
    doc.moveDown(2).text('Trân trọng / Sincerely,', { align: 'right' });
    doc.text(p.unitName, { align: 'right' });
    doc.end();
  });
}
