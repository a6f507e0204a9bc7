/**
 * Email and letter texts, Vietnamese first then English. They carry ids, dates and links — never a
 * password or an API key: secrets travel only behind the one-time link.
 */
export interface Mail {
  subject: string;
  bodyText: string;
}

const SIGN = '\n\n--\nMobiFone eKYC — Trung tâm Công nghệ Thông tin MobiFone';
const vnDate = (iso: string) => iso.split('-').reverse().join('/');

export const templates = {
  provisioned(p: { contractId: string; customerName: string; linkUrl: string; expiresAt: string }): Mail {
    return {
      subject: `[eKYC] Tài khoản đã được khởi tạo / Account created — ${p.contractId}`,
      bodyText:
        `Kính gửi Quý đơn vị,\n\nTài khoản eKYC của khách hàng ${p.customerName} (hợp đồng ${p.contractId}) đã được khởi tạo. ` +
        `Thông tin tài khoản được cung cấp MỘT LẦN qua liên kết bảo mật (cần đăng nhập), hiệu lực đến ${p.expiresAt}:\n${p.linkUrl}\n` +
        'Sau khi gửi thông tin cho khách hàng, vui lòng xác nhận trên hệ thống (email hoặc thư).\n\n' +
        `Dear colleagues,\n\nThe eKYC account of ${p.customerName} (contract ${p.contractId}) has been created. ` +
        `The account details can be opened ONCE through this secure link (login required) until ${p.expiresAt}:\n${p.linkUrl}\n` +
        'After sending them to the customer, please confirm in the system (email or letter).' +
        SIGN,
    };
  },

  accountReady(p: { customerName: string; contractId: string; loginEmail: string; portalUrl: string }): Mail {
    return {
      subject: '[MobiFone eKYC] Tài khoản dịch vụ đã sẵn sàng / Your eKYC account is ready',
      bodyText:
        `Kính gửi ${p.customerName},\n\nDịch vụ MobiFone eKYC theo hợp đồng ${p.contractId} đã được kích hoạt. ` +
        `Tài khoản quản trị: ${p.loginEmail}. Cổng quản trị: ${p.portalUrl}\n` +
        'Mật khẩu tạm thời và khóa API được đơn vị ký hợp đồng bàn giao riêng; vui lòng đổi mật khẩu khi đăng nhập lần đầu.\n\n' +
        `Dear ${p.customerName},\n\nYour MobiFone eKYC service under contract ${p.contractId} is now active. ` +
        `Administrator login: ${p.loginEmail}. Portal: ${p.portalUrl}\n` +
        'The temporary password and API key are handed over separately by your MobiFone unit; please change the password at first login.' +
        SIGN,
    };
  },

  renewalReminder(p: {
    customerName: string;
    contractId: string;
    endDate: string;
    milestone: 'm1' | 'd7';
  }): Mail {
    const when = p.milestone === 'm1' ? 'một tháng / one month' : '7 ngày / 7 days';
    return {
      subject: `[MobiFone eKYC] Hợp đồng sắp hết hạn (${when}) / Contract expiring — ${p.contractId}`,
      bodyText:
        `Kính gửi ${p.customerName},\n\nHợp đồng MobiFone eKYC ${p.contractId} hết hạn ngày ${vnDate(p.endDate)}. ` +
        'Vui lòng liên hệ đơn vị MobiFone quản lý để gia hạn và tránh gián đoạn dịch vụ.\n\n' +
        `Dear ${p.customerName},\n\nYour MobiFone eKYC contract ${p.contractId} ends on ${p.endDate}. ` +
        'Please contact your MobiFone unit to renew it and avoid any interruption.' +
        SIGN,
    };
  },

  renewed(p: { customerName: string; contractId: string; startDate: string; endDate: string }): Mail {
    return {
      subject: `[MobiFone eKYC] Gia hạn thành công / Renewal completed — ${p.contractId}`,
      bodyText:
        `Kính gửi ${p.customerName},\n\nHợp đồng ${p.contractId} đã được gia hạn: hiệu lực từ ${vnDate(p.startDate)} đến ${vnDate(p.endDate)}.\n\n` +
        `Dear ${p.customerName},\n\nContract ${p.contractId} has been renewed: in force from ${p.startDate} to ${p.endDate}.` +
        SIGN,
    };
  },

  cancellation(p: {
    customerName: string;
    contractId: string;
    effectiveDate: string;
    retentionDays: number;
  }): Mail {
    return {
      subject: `[MobiFone eKYC] Xác nhận chấm dứt hợp đồng / Cancellation confirmed — ${p.contractId}`,
      bodyText:
        `Kính gửi ${p.customerName},\n\nHợp đồng ${p.contractId} chấm dứt từ ngày ${vnDate(p.effectiveDate)}: từ ngày này khóa API ngừng hoạt động. ` +
        `Quản trị viên vẫn có thể tải hóa đơn và kết quả trong ${p.retentionDays} ngày.\n\n` +
        `Dear ${p.customerName},\n\nContract ${p.contractId} ends on ${p.effectiveDate}: from that date the API keys stop working. ` +
        `Your administrator can still export invoices and results for ${p.retentionDays} days.` +
        SIGN,
    };
  },

  ended(p: {
    customerName: string;
    contractId: string;
    date: string;
    reason: 'expired' | 'cancelled';
  }): Mail {
    const vi = p.reason === 'expired' ? 'đã hết hạn' : 'đã chấm dứt';
    return {
      subject: `[MobiFone eKYC] Hợp đồng ${vi} / Contract ${p.reason} — ${p.contractId}`,
      bodyText:
        `Hợp đồng ${p.contractId} (${p.customerName}) ${vi} từ ngày ${vnDate(p.date)}; khóa API không còn hoạt động.\n\n` +
        `Contract ${p.contractId} (${p.customerName}) is ${p.reason} as of ${p.date}; its API keys no longer work.` +
        SIGN,
    };
  },

  taskCreated(p: { kind: string; contractId: string; dueAt: string }): Mail {
    return {
      subject: `[eKYC] Việc mới / New task: ${p.kind} — ${p.contractId}`,
      bodyText:
        `Việc "${p.kind}" cho hợp đồng ${p.contractId}, hạn xử lý ${p.dueAt}.\n\n` +
        `Task "${p.kind}" for contract ${p.contractId}, due ${p.dueAt}.` +
        SIGN,
    };
  },

  escalation(p: { kind: string; contractId: string | null; dueAt: string; taskId: string }): Mail {
    return {
      subject: `[eKYC] Quá hạn / Overdue: ${p.kind} — ${p.contractId ?? p.taskId}`,
      bodyText:
        `Việc "${p.kind}" (${p.taskId}, hợp đồng ${p.contractId ?? '—'}) đã quá hạn ${p.dueAt}. Đề nghị xử lý ngay.\n\n` +
        `Task "${p.kind}" (${p.taskId}, contract ${p.contractId ?? '—'}) was due ${p.dueAt} and is overdue. Please act now.` +
        SIGN,
    };
  },
};
