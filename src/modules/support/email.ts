/**
 * A small RFC 822 / RFC 5322 reader for importing emails sent to the support address: header
 * unfolding, RFC 2047 encoded words, MIME multipart (the first text/plain part, else text/html
 * stripped of tags), quoted-printable and base64 bodies, UTF-8 / Latin-1 charsets. Bounded input;
 * anything it cannot read is `null`, never an exception.
 */

export interface ParsedEmail {
  messageId: string | null;
  fromAddress: string;
  fromName: string | null;
  subject: string;
  date: Date | null;
  text: string;
  attachments: Array<{ filename: string; contentType: string; bytes: Buffer }>;
}

export const MAX_EMAIL_BYTES = 8 * 1024 * 1024;
const MAX_DEPTH = 5;

type Headers = Map<string, string>;

function splitHeadBody(raw: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m) return { head: raw, body: '' };
  return { head: raw.slice(0, m.index), body: raw.slice(m.index + m[0].length) };
}

function parseHeaders(head: string): Headers {
  const headers: Headers = new Map();
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    if (!headers.has(name)) headers.set(name, line.slice(i + 1).trim());
  }
  return headers;
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(cs === 'latin1' ? 'iso-8859-1' : cs).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function decodeQuotedPrintable(s: string, headerMode: boolean): Buffer {
  const src = headerMode ? s.replace(/_/g, ' ') : s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(src.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(src.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) out.push(b);
    }
  }
  return Buffer.from(out);
}

/** `=?utf-8?B?...?=` and `=?utf-8?Q?...?=` words in headers. */
export function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, charset: string, enc: string, text: string) => {
      const bytes =
        enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQuotedPrintable(text, true);
      return decodeCharset(bytes, charset.split('*')[0]);
    });
}

function param(value: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\*?=\\s*("([^"]*)"|[^;\\s]+)`, 'i');
  const m = re.exec(value);
  if (!m) return undefined;
  const v = m[2] ?? m[1]!;
  // RFC 2231 form: utf-8''encoded%20text
  const ext = /^([\w-]+)''(.*)$/.exec(v);
  if (ext) {
    try {
      return decodeURIComponent(ext[2]!);
    } catch {
      return ext[2];
    }
  }
  return decodeWords(v);
}

function decodeBody(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body, false);
    default:
      return Buffer.from(body, 'latin1');
  }
}

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

interface Walk {
  plain: string | null;
  html: string | null;
  attachments: ParsedEmail['attachments'];
}

function walk(headers: Headers, body: string, depth: number, acc: Walk): void {
  const type = headers.get('content-type') ?? 'text/plain; charset=us-ascii';
  const mime = type.split(';')[0]!.trim().toLowerCase();
  const disposition = headers.get('content-disposition') ?? '';
  if (mime.startsWith('multipart/')) {
    const boundary = param(type, 'boundary');
    if (!boundary || depth >= MAX_DEPTH) return;
    const parts = body.split(new RegExp(`\\r?\\n?--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    for (const part of parts.slice(1)) {
      if (part.startsWith('--')) break;
      const { head, body: partBody } = splitHeadBody(part.replace(/^[ \t]*\r?\n/, ''));
      walk(parseHeaders(head), partBody, depth + 1, acc);
    }
    return;
  }
  const bytes = decodeBody(body, headers.get('content-transfer-encoding'));
  const filename = param(disposition, 'filename') ?? param(type, 'name');
  if (/^attachment/i.test(disposition) || (filename && !mime.startsWith('text/'))) {
    acc.attachments.push({ filename: filename ?? 'attachment', contentType: mime, bytes });
    return;
  }
  const charset = param(type, 'charset');
  if (mime === 'text/plain' && acc.plain === null) acc.plain = decodeCharset(bytes, charset);
  else if (mime === 'text/html' && acc.html === null) acc.html = decodeCharset(bytes, charset);
}

function parseAddress(value: string): { address: string; name: string | null } | null {
  const decoded = decodeWords(value);
  const angle = /^(.*)<([^<>\s]+@[^<>\s]+)>\s*$/.exec(decoded);
  if (angle) {
    const name = angle[1]!.trim().replace(/^"|"$/g, '').trim();
    return { address: angle[2]!.toLowerCase(), name: name || null };
  }
  const bare = /([^\s<>"(),;:]+@[^\s<>"(),;:]+)/.exec(decoded);
  return bare ? { address: bare[1]!.toLowerCase(), name: null } : null;
}

export function parseEmail(input: Buffer | string): ParsedEmail | null {
  const raw = typeof input === 'string' ? input : input.toString('latin1');
  if (raw.length === 0 || raw.length > MAX_EMAIL_BYTES) return null;
  const { head, body } = splitHeadBody(raw);
  const headers = parseHeaders(head);
  const from = headers.get('from');
  const address = from ? parseAddress(from) : null;
  if (!address) return null;
  const acc: Walk = { plain: null, html: null, attachments: [] };
  walk(headers, body, 0, acc);
  const text = (acc.plain ?? (acc.html ? htmlToText(acc.html) : '')).replace(/\r\n/g, '\n').trim();
  const dateHeader = headers.get('date');
  const date = dateHeader ? new Date(dateHeader) : null;
  const messageId = headers.get('message-id')?.replace(/[<>\s]/g, '') || null;
  const subjectRaw = headers.get('subject');
  // Header bytes were read as Latin-1; raw UTF-8 in headers (RFC 6532) is re-read as UTF-8.
  const subject = subjectRaw ? decodeWords(Buffer.from(subjectRaw, 'latin1').toString('utf8')) : '';
  return {
    messageId: messageId && messageId.length <= 250 ? messageId : null,
    fromAddress: address.address,
    fromName: address.name,
    subject: subject.trim(),
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    text,
    attachments: acc.attachments,
  };
}
