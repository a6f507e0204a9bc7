import ExcelJS from 'exceljs';
import { formatVnd, vndInWords } from '../../lib/money.ts';
import { renderPdf } from '../../lib/pdf.ts';
import type { InvoiceLineRow, InvoiceRow } from './billing.service.ts';

export interface Party {
  name: string;
  taxCode: string | null;
  address: string | null;
}

/** The invoice in Vietnamese: seller and buyer with tax codes, lines with tier breakdown, VAT, total in words. */
export function invoicePdf(
  invoice: InvoiceRow,
  lines: InvoiceLineRow[],
  seller: Party,
  buyer: Party,
): Promise<Buffer> {
  return renderPdf({ title: `Hoá đơn ${invoice.number ?? 'nháp'}`, margin: 48 }, (doc) => {
    const title =
      invoice.kind === 'credit_note'
        ? 'HOÁ ĐƠN ĐIỀU CHỈNH GIẢM'
        : invoice.status === 'draft'
          ? 'HOÁ ĐƠN (BẢN NHÁP)'
          : 'HOÁ ĐƠN GIÁ TRỊ GIA TĂNG';
    doc.font('bold').fontSize(16).text(title, { align: 'center' });
    doc
      .font('body')
      .fontSize(10)
      .text(
        `Số: ${invoice.number ?? '—'}    Kỳ cước: ${invoice.period_month.slice(5)}/${invoice.period_month.slice(0, 4)}`,
        {
          align: 'center',
        },
      );
    doc.moveDown();
    const party = (label: string, p: Party) => {
      doc.font('bold').text(label);
      doc.font('body').text(`Tên đơn vị: ${p.name}`);
      doc.text(`Mã số thuế: ${p.taxCode ?? '—'}`);
      if (p.address) doc.text(`Địa chỉ: ${p.address}`);
      doc.moveDown(0.5);
    };
    party('Đơn vị bán hàng', seller);
    party('Người mua hàng', buyer);
    if (invoice.reason) doc.text(`Lý do điều chỉnh: ${invoice.reason}`).moveDown(0.5);

    const cols = [48, 75, 300, 370, 450];
    const row = (cells: string[], bold = false) => {
      const y = doc.y;
      doc.font(bold ? 'bold' : 'body').fontSize(9);
      doc.text(cells[0]!, cols[0]!, y, { width: 25 });
      doc.text(cells[1]!, cols[1]!, y, { width: 220 });
      const h1 = doc.y;
      doc.text(cells[2]!, cols[2]!, y, { width: 65, align: 'right' });
      doc.text(cells[3]!, cols[3]!, y, { width: 75, align: 'right' });
      doc.text(cells[4]!, cols[4]!, y, { width: 95, align: 'right' });
      doc.y = Math.max(h1, doc.y) + 4;
      doc.x = 48;
    };
    row(['STT', 'Tên hàng hoá, dịch vụ', 'Số lượng', 'Đơn giá', 'Thành tiền'], true);
    for (const l of lines) {
      row([
        String(l.line_no),
        l.description,
        l.quantity.toLocaleString('vi-VN'),
        l.unit_price_vnd === null ? 'theo bậc' : formatVnd(l.unit_price_vnd),
        formatVnd(l.amount_vnd),
      ]);
      const breakdown = (l.breakdown ?? []) as Array<{
        tier: number;
        from: number;
        to: number | null;
        quantity: number;
        unitPriceVnd: number;
        amountVnd: number;
      }>;
      for (const b of breakdown) {
        row([
          '',
          `   Bậc ${b.tier}: ${b.from.toLocaleString('vi-VN')} – ${b.to === null ? 'trở lên' : b.to.toLocaleString('vi-VN')} yêu cầu (${l.tier_mode === 'graduated' ? 'lũy tiến' : 'theo tổng sản lượng'})`,
          b.quantity.toLocaleString('vi-VN'),
          formatVnd(b.unitPriceVnd),
          formatVnd(b.amountVnd),
        ]);
      }
    }
    doc.moveDown();
    const vatPercent = (invoice.vat_rate_bp / 100).toLocaleString('vi-VN');
    row(['', 'Cộng tiền hàng', '', '', formatVnd(invoice.subtotal_vnd)], true);
    row([
      '',
      `Thuế suất GTGT ${vatPercent} % — Tiền thuế GTGT (làm tròn theo từng dòng)`,
      '',
      '',
      formatVnd(invoice.vat_vnd),
    ]);
    row(['', 'Tổng cộng tiền thanh toán', '', '', formatVnd(invoice.total_vnd)], true);
    doc.moveDown();
    doc
      .font('body')
      .fontSize(10)
      .text(`Số tiền viết bằng chữ: ${vndInWords(invoice.total_vnd)}.`, 48);
  });
}

/** RFC 4180 CSV with a BOM so spreadsheet programs read Vietnamese letters. */
export function toCsv(columns: string[], rows: Array<Record<string, unknown>>): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
    // A leading = + - @ would run as a formula in a spreadsheet: quote it with an apostrophe.
    const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))];
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

export async function toXlsx(
  sheet: string,
  columns: string[],
  rows: Array<Record<string, unknown>>,
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheet);
  ws.columns = columns.map((c) => ({ header: c, key: c, width: Math.max(12, c.length + 2) }));
  for (const r of rows) ws.addRow(Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
  ws.getRow(1).font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
