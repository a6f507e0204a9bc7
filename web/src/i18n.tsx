import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';

export type Lang = 'vi' | 'en';

/** Vietnamese first: every key must exist in `vi`; `en` is checked against it by the type. */
const vi = {
  'app.name': 'MobiFone eKYC',
  'app.tagline': 'Xác thực danh tính khách hàng',
  'lang.switch': 'English',
  'lang.label': 'Ngôn ngữ',
  'nav.label': 'Điều hướng chính',
  'nav.menu': 'Menu',
  'nav.home': 'Tổng quan',
  'nav.customers': 'Khách hàng',
  'nav.apiKeys': 'Khóa API',
  'nav.audit': 'Nhật ký kiểm toán',
  'nav.errors': 'Mã lỗi API',
  'nav.docs': 'Tài liệu API',
  'nav.logout': 'Đăng xuất',
  'skip.content': 'Bỏ qua đến nội dung chính',
  'login.title': 'Đăng nhập',
  'login.subtitle': 'Cổng thông tin quản trị eKYC',
  'login.email': 'Email',
  'login.password': 'Mật khẩu',
  'login.submit': 'Đăng nhập',
  'login.busy': 'Đang đăng nhập…',
  'role.admin': 'Quản trị hệ thống',
  'role.operator': 'Vận hành',
  'role.unit_user': 'Đơn vị kinh doanh',
  'role.am': 'AM',
  'role.kam': 'KAM',
  'role.agent_user': 'Đại lý',
  'role.support_agent': 'Hỗ trợ khách hàng',
  'role.customer_admin': 'Quản trị doanh nghiệp',
  'home.hello': 'Xin chào, {name}',
  'home.role': 'Vai trò: {role}',
  'home.customers': 'Khách hàng bạn quản lý',
  'home.customersCount': '{n} khách hàng',
  'home.myCompany': 'Doanh nghiệp của bạn',
  'home.keys': 'Khóa API đang hoạt động',
  'home.audit': 'Sự kiện kiểm toán gần đây',
  'home.quick': 'Truy cập nhanh',
  'home.comingSoon':
    'Các màn hình hợp đồng, vận hành, cước và hỗ trợ sẽ xuất hiện khi API tương ứng sẵn sàng.',
  'common.loading': 'Đang tải…',
  'common.retry': 'Thử lại',
  'common.search': 'Tìm kiếm',
  'common.cancel': 'Hủy',
  'common.close': 'Đóng',
  'common.confirm': 'Xác nhận',
  'common.copy': 'Sao chép',
  'common.copied': 'Đã sao chép',
  'common.empty': 'Không có dữ liệu.',
  'common.open': 'Mở',
  'common.back': 'Quay lại',
  'common.never': 'Chưa bao giờ',
  'common.requestId': 'Mã yêu cầu',
  'common.more': 'Tải thêm',
  'common.filter': 'Lọc',
  'common.clear': 'Xóa lọc',
  'error.title': 'Đã có lỗi',
  'error.network': 'Không kết nối được máy chủ.',
  'error.notFound': 'Không tìm thấy trang.',
  'customers.title': 'Khách hàng',
  'customers.searchHint': 'Tên, mã số thuế hoặc số điện thoại',
  'customers.empty':
    'Chưa có khách hàng nào trong phạm vi của bạn. Khách hàng mới xuất hiện khi hợp đồng được khai báo.',
  'customers.name': 'Tên pháp lý',
  'customers.taxCode': 'Mã số thuế',
  'customers.segment': 'Phân khúc',
  'customers.contact': 'Liên hệ',
  'customers.unit': 'Đơn vị quản lý',
  'customers.am': 'AM phụ trách',
  'customers.created': 'Ngày tạo',
  'keys.title': 'Khóa API',
  'keys.intro':
    'Khóa API dùng để hệ thống của bạn gọi API eKYC (/v1). Mã bí mật chỉ hiển thị một lần khi tạo.',
  'keys.create': 'Tạo khóa mới',
  'keys.name': 'Tên khóa',
  'keys.namePlaceholder': 'ví dụ: Máy chủ sản xuất',
  'keys.prefix': 'Tiền tố',
  'keys.status': 'Trạng thái',
  'keys.created': 'Tạo lúc',
  'keys.lastUsed': 'Dùng lần cuối',
  'keys.expires': 'Hết hạn',
  'keys.actions': 'Thao tác',
  'keys.revoke': 'Thu hồi',
  'keys.rotate': 'Xoay vòng',
  'keys.revokeConfirm': 'Thu hồi khóa «{name}»? Mọi yêu cầu dùng khóa này sẽ bị từ chối ngay.',
  'keys.rotateTitle': 'Xoay vòng khóa «{name}»',
  'keys.grace': 'Khóa cũ còn hiệu lực thêm (giờ)',
  'keys.graceHint': '0 = hết hiệu lực ngay. Tối đa 2160 giờ (90 ngày).',
  'keys.secretTitle': 'Khóa API mới',
  'keys.secretWarn': 'Hãy sao chép và lưu mã này ngay bây giờ. Bạn sẽ không thể xem lại nó.',
  'keys.previousUntil': 'Khóa cũ còn hoạt động đến {at}.',
  'keys.empty': 'Chưa có khóa API nào. Tạo khóa đầu tiên để bắt đầu tích hợp.',
  'keys.status.active': 'Hoạt động',
  'keys.status.expiring': 'Sắp hết hạn',
  'keys.status.expired': 'Hết hạn',
  'keys.status.revoked': 'Đã thu hồi',
  'keys.noCustomer': 'Tài khoản của bạn chưa gắn với doanh nghiệp nào.',
  'audit.title': 'Nhật ký kiểm toán',
  'audit.entityType': 'Loại đối tượng',
  'audit.entityId': 'Mã đối tượng',
  'audit.actorId': 'Người thực hiện',
  'audit.at': 'Thời điểm',
  'audit.action': 'Hành động',
  'audit.entity': 'Đối tượng',
  'audit.actor': 'Tác nhân',
  'audit.details': 'Chi tiết',
  'audit.empty': 'Không có sự kiện phù hợp với bộ lọc.',
  'errors.title': 'Danh mục mã lỗi API',
  'errors.intro': 'Mọi lỗi được trả về dạng application/problem+json với một mã ổn định.',
  'errors.code': 'Mã',
  'errors.status': 'HTTP',
  'errors.meaning': 'Ý nghĩa',
  'capture.title': 'Xác thực danh tính',
  'capture.step': 'Bước {n}/{total}',
  'capture.consent.title': 'Đồng ý xử lý dữ liệu cá nhân',
  'capture.consent.body':
    'Để xác thực danh tính, chúng tôi sẽ chụp mặt trước và mặt sau căn cước công dân (CCCD) của bạn và một ảnh chân dung kèm thử thách người thật. Dữ liệu chỉ dùng để xác minh bạn với doanh nghiệp đã gửi đường dẫn này, được mã hóa khi lưu trữ và xóa theo thời hạn lưu trữ đã công bố, theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân.',
  'capture.consent.collect':
    'Thu thập: ảnh CCCD hai mặt, ảnh chân dung, các khung hình thử thách người thật.',
  'capture.consent.why': 'Mục đích: xác minh danh tính và phòng chống gian lận.',
  'capture.consent.keep': 'Thời hạn lưu trữ: theo hợp đồng của doanh nghiệp; bạn có quyền yêu cầu xóa.',
  'capture.consent.check': 'Tôi đã đọc và đồng ý cho xử lý dữ liệu cá nhân như trên.',
  'capture.consent.continue': 'Tiếp tục',
  'capture.front.title': 'Mặt trước CCCD',
  'capture.back.title': 'Mặt sau CCCD',
  'capture.selfie.title': 'Ảnh chân dung',
  'capture.card.hint': 'Đặt thẻ vừa khung, đủ sáng, không bị lóa.',
  'capture.selfie.hint': 'Nhìn thẳng vào camera, giữ khuôn mặt trong khung tròn.',
  'capture.hint.dark': 'Quá tối — hãy ra chỗ sáng hơn',
  'capture.hint.glare': 'Bị lóa — nghiêng thẻ một chút',
  'capture.hint.blur': 'Giữ yên tay',
  'capture.hint.ok': 'Tốt — đang chụp…',
  'capture.shoot': 'Chụp',
  'capture.retake': 'Chụp lại',
  'capture.use': 'Dùng ảnh này',
  'capture.upload': 'Tải ảnh lên thay vì dùng camera',
  'capture.noCamera': 'Không mở được camera. Bạn có thể tải ảnh lên.',
  'capture.submit': 'Gửi xác thực',
  'capture.uploading': 'Đang gửi… {p}%',
  'capture.done.title': 'Đã gửi thành công',
  'capture.done.body': 'Cảm ơn bạn. Kết quả sẽ được gửi tới doanh nghiệp.',
  'capture.done.back': 'Quay lại trang của doanh nghiệp',
  'capture.invalid': 'Đường dẫn xác thực không hợp lệ hoặc đã hết hạn.',
  'capture.review.title': 'Kiểm tra trước khi gửi',
  'capture.missingApi': 'Dịch vụ phiên xác thực chưa sẵn sàng trên máy chủ này.',
};

export type MsgKey = keyof typeof vi;

const en: Record<MsgKey, string> = {
  'app.name': 'MobiFone eKYC',
  'app.tagline': 'Customer identity verification',
  'lang.switch': 'Tiếng Việt',
  'lang.label': 'Language',
  'nav.label': 'Main navigation',
  'nav.menu': 'Menu',
  'nav.home': 'Overview',
  'nav.customers': 'Customers',
  'nav.apiKeys': 'API keys',
  'nav.audit': 'Audit log',
  'nav.errors': 'API error codes',
  'nav.docs': 'API docs',
  'nav.logout': 'Log out',
  'skip.content': 'Skip to main content',
  'login.title': 'Log in',
  'login.subtitle': 'eKYC back-office portal',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.busy': 'Logging in…',
  'role.admin': 'System admin',
  'role.operator': 'Operator',
  'role.unit_user': 'Sales unit',
  'role.am': 'AM',
  'role.kam': 'KAM',
  'role.agent_user': 'Agent',
  'role.support_agent': 'Support agent',
  'role.customer_admin': 'Customer admin',
  'home.hello': 'Hello, {name}',
  'home.role': 'Role: {role}',
  'home.customers': 'Customers you manage',
  'home.customersCount': '{n} customers',
  'home.myCompany': 'Your company',
  'home.keys': 'Active API keys',
  'home.audit': 'Recent audit events',
  'home.quick': 'Quick links',
  'home.comingSoon':
    'Contract, operations, billing and support screens appear as their APIs become available.',
  'common.loading': 'Loading…',
  'common.retry': 'Retry',
  'common.search': 'Search',
  'common.cancel': 'Cancel',
  'common.close': 'Close',
  'common.confirm': 'Confirm',
  'common.copy': 'Copy',
  'common.copied': 'Copied',
  'common.empty': 'Nothing here.',
  'common.open': 'Open',
  'common.back': 'Back',
  'common.never': 'Never',
  'common.requestId': 'Request id',
  'common.more': 'Load more',
  'common.filter': 'Filter',
  'common.clear': 'Clear',
  'error.title': 'Something went wrong',
  'error.network': 'Cannot reach the server.',
  'error.notFound': 'Page not found.',
  'customers.title': 'Customers',
  'customers.searchHint': 'Name, tax code or phone',
  'customers.empty': 'No customers in your scope yet. New customers appear when a contract is declared.',
  'customers.name': 'Legal name',
  'customers.taxCode': 'Tax code',
  'customers.segment': 'Segment',
  'customers.contact': 'Contact',
  'customers.unit': 'Managing unit',
  'customers.am': 'Account manager',
  'customers.created': 'Created',
  'keys.title': 'API keys',
  'keys.intro':
    'API keys let your systems call the eKYC API (/v1). The secret is shown only once, when created.',
  'keys.create': 'Create key',
  'keys.name': 'Key name',
  'keys.namePlaceholder': 'e.g. Production server',
  'keys.prefix': 'Prefix',
  'keys.status': 'Status',
  'keys.created': 'Created',
  'keys.lastUsed': 'Last used',
  'keys.expires': 'Expires',
  'keys.actions': 'Actions',
  'keys.revoke': 'Revoke',
  'keys.rotate': 'Rotate',
  'keys.revokeConfirm': 'Revoke key “{name}”? Every request with this key is refused at once.',
  'keys.rotateTitle': 'Rotate key “{name}”',
  'keys.grace': 'Old key keeps working for (hours)',
  'keys.graceHint': '0 = stops at once. At most 2160 hours (90 days).',
  'keys.secretTitle': 'New API key',
  'keys.secretWarn': 'Copy and store this secret now. You will not be able to see it again.',
  'keys.previousUntil': 'The old key keeps working until {at}.',
  'keys.empty': 'No API keys yet. Create the first one to start integrating.',
  'keys.status.active': 'Active',
  'keys.status.expiring': 'Expiring',
  'keys.status.expired': 'Expired',
  'keys.status.revoked': 'Revoked',
  'keys.noCustomer': 'Your account is not linked to a company.',
  'audit.title': 'Audit log',
  'audit.entityType': 'Entity type',
  'audit.entityId': 'Entity id',
  'audit.actorId': 'Actor id',
  'audit.at': 'When',
  'audit.action': 'Action',
  'audit.entity': 'Entity',
  'audit.actor': 'Actor',
  'audit.details': 'Details',
  'audit.empty': 'No events match the filters.',
  'errors.title': 'API error codes',
  'errors.intro': 'Every error is application/problem+json with a stable code.',
  'errors.code': 'Code',
  'errors.status': 'HTTP',
  'errors.meaning': 'Meaning',
  'capture.title': 'Identity verification',
  'capture.step': 'Step {n} of {total}',
  'capture.consent.title': 'Consent to personal data processing',
  'capture.consent.body':
    'To verify your identity we will capture the front and back of your citizen ID card (CCCD) and a selfie with a liveness challenge. The data is used only to verify you for the company that sent this link, encrypted at rest and deleted at the end of the published retention period, under Decree 13/2023/ND-CP on personal data protection.',
  'capture.consent.collect': 'Collected: both sides of the ID card, a selfie, the liveness challenge frames.',
  'capture.consent.why': 'Purpose: identity verification and fraud prevention.',
  'capture.consent.keep': "Retention: per the company's contract; you may ask for erasure.",
  'capture.consent.check': 'I have read and agree to the processing of my personal data as above.',
  'capture.consent.continue': 'Continue',
  'capture.front.title': 'ID card — front',
  'capture.back.title': 'ID card — back',
  'capture.selfie.title': 'Selfie',
  'capture.card.hint': 'Fit the card in the frame, in good light, without glare.',
  'capture.selfie.hint': 'Look straight at the camera and keep your face inside the circle.',
  'capture.hint.dark': 'Too dark — move to a brighter place',
  'capture.hint.glare': 'Glare — tilt the card slightly',
  'capture.hint.blur': 'Hold still',
  'capture.hint.ok': 'Good — capturing…',
  'capture.shoot': 'Capture',
  'capture.retake': 'Retake',
  'capture.use': 'Use this photo',
  'capture.upload': 'Upload a photo instead of using the camera',
  'capture.noCamera': 'The camera could not be opened. You can upload a photo.',
  'capture.submit': 'Submit verification',
  'capture.uploading': 'Sending… {p}%',
  'capture.done.title': 'Submitted',
  'capture.done.body': 'Thank you. The result will be sent to the company.',
  'capture.done.back': "Back to the company's site",
  'capture.invalid': 'This verification link is invalid or has expired.',
  'capture.review.title': 'Check before sending',
  'capture.missingApi': 'The verification session service is not available on this server yet.',
};

const dictionaries: Record<Lang, Record<MsgKey, string>> = { vi, en };

export type T = (key: MsgKey, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t: T;
  fmtDate(iso: string | null | undefined): string;
  fmtNumber(n: number): string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem('ekyc.lang');
    if (saved === 'vi' || saved === 'en') return saved;
  } catch {
    // storage blocked: default
  }
  return 'vi';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem('ekyc.lang', l);
    } catch {
      // ignore
    }
  }, []);
  const value = useMemo<I18n>(() => {
    const dict = dictionaries[lang];
    const locale = lang === 'vi' ? 'vi-VN' : 'en-GB';
    const dateFmt = new Intl.DateTimeFormat(locale, {
      dateStyle: 'short',
      timeStyle: 'short',
      timeZone: 'Asia/Ho_Chi_Minh',
    });
    const numFmt = new Intl.NumberFormat(locale);
    return {
      lang,
      setLang,
      t: (key, vars) => {
        let s = dict[key] ?? key;
        if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
        return s;
      },
      fmtDate: (iso) => (iso ? dateFmt.format(new Date(iso)) : '—'),
      fmtNumber: (n) => numFmt.format(n),
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
