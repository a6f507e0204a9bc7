/**
 * Structure of the 12-digit personal identification number (Circular 07/2016/TT-BCA, kept by the
 * 2023 Law on Identification): 3 digits province of birth registration, 1 digit century + sex,
 * 2 digits year of birth, 6 random digits. The 9-digit CMND has no such structure.
 */
export const PROVINCE_CODES: Readonly<Record<string, string>> = {
  '001': 'Hà Nội',
  '002': 'Hà Giang',
  '004': 'Cao Bằng',
  '006': 'Bắc Kạn',
  '008': 'Tuyên Quang',
  '010': 'Lào Cai',
  '011': 'Điện Biên',
  '012': 'Lai Châu',
  '014': 'Sơn La',
  '015': 'Yên Bái',
  '017': 'Hòa Bình',
  '019': 'Thái Nguyên',
  '020': 'Lạng Sơn',
  '022': 'Quảng Ninh',
  '024': 'Bắc Giang',
  '025': 'Phú Thọ',
  '026': 'Vĩnh Phúc',
  '027': 'Bắc Ninh',
  '030': 'Hải Dương',
  '031': 'Hải Phòng',
  '033': 'Hưng Yên',
  '034': 'Thái Bình',
  '035': 'Hà Nam',
  '036': 'Nam Định',
  '037': 'Ninh Bình',
  '038': 'Thanh Hóa',
  '040': 'Nghệ An',
  '042': 'Hà Tĩnh',
  '044': 'Quảng Bình',
  '045': 'Quảng Trị',
  '046': 'Thừa Thiên Huế',
  '048': 'Đà Nẵng',
  '049': 'Quảng Nam',
  '051': 'Quảng Ngãi',
  '052': 'Bình Định',
  '054': 'Phú Yên',
  '056': 'Khánh Hòa',
  '058': 'Ninh Thuận',
  '060': 'Bình Thuận',
  '062': 'Kon Tum',
  '064': 'Gia Lai',
  '066': 'Đắk Lắk',
  '067': 'Đắk Nông',
  '068': 'Lâm Đồng',
  '070': 'Bình Phước',
  '072': 'Tây Ninh',
  '074': 'Bình Dương',
  '075': 'Đồng Nai',
  '077': 'Bà Rịa - Vũng Tàu',
  '079': 'Hồ Chí Minh',
  '080': 'Long An',
  '082': 'Tiền Giang',
  '083': 'Bến Tre',
  '084': 'Trà Vinh',
  '086': 'Vĩnh Long',
  '087': 'Đồng Tháp',
  '089': 'An Giang',
  '091': 'Kiên Giang',
  '092': 'Cần Thơ',
  '093': 'Hậu Giang',
  '094': 'Sóc Trăng',
  '095': 'Bạc Liêu',
  '096': 'Cà Mau',
};

export interface IdNumberAnalysis {
  kind: 'id12' | 'cmnd9' | 'invalid';
  province?: string;
  provinceValid?: boolean;
  sex?: 'M' | 'F';
  /** First year of the century the digit encodes (1900, 2000, …). */
  century?: number;
  birthYear?: number;
  problems: string[];
}

export function analyzeIdNumber(id: string): IdNumberAnalysis {
  if (/^\d{9}$/.test(id)) return { kind: 'cmnd9', problems: [] };
  if (!/^\d{12}$/.test(id)) return { kind: 'invalid', problems: ['not 9 or 12 digits'] };
  const province = id.slice(0, 3);
  const cs = Number(id[3]);
  const century = 1900 + Math.floor(cs / 2) * 100;
  const sex: 'M' | 'F' = cs % 2 === 0 ? 'M' : 'F';
  const birthYear = century + Number(id.slice(4, 6));
  const provinceValid = province in PROVINCE_CODES;
  const problems = provinceValid ? [] : [`province code ${province} is not in the list`];
  return { kind: 'id12', province, provinceValid, sex, century, birthYear, problems };
}

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'not_applicable';

/** Compares the ID number's encoded sex and birth year with the read ones. */
export function idMatchesPerson(
  id: string,
  sex: 'M' | 'F' | null,
  birthDate: string | null,
): { status: CheckStatus; detail: string } {
  const a = analyzeIdNumber(id);
  if (a.kind !== 'id12') return { status: 'not_applicable', detail: 'no 12-digit ID number' };
  const problems: string[] = [];
  if (sex && a.sex !== sex) problems.push('sex digit disagrees with sex');
  if (birthDate && Number(birthDate.slice(0, 4)) !== a.birthYear) {
    problems.push('century/year digits disagree with birth year');
  }
  if (!sex && !birthDate) return { status: 'not_applicable', detail: 'sex and birth date unknown' };
  return problems.length
    ? { status: 'fail', detail: problems.join('; ') }
    : { status: 'pass', detail: 'century/sex digit and birth year agree' };
}
