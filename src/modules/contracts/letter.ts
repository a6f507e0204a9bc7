import { renderPdf } from '../../lib/pdf.ts';

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
  return renderPdf({ title: `eKYC ${p.contractId}`, margin: 56 }, (doc) => {
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
  });
}
