import { availableParallelism } from 'node:os';
import path from 'node:path';

/** Every setting the service reads, validated once at start. Bad values fail with the variable's name. */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  /** `undefined` means the embedded PGlite database in `dataDir/db`. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  cookieSecure: boolean;
  sessionTtlHours: number;
  apiKeyGraceHours: number;
  /** VAT added to invoices, in whole percent (Vietnam: 10, or 8 while the reduced rate applies). */
  billingVatPercent: number;
  /** Days a draft invoice waits for review before it finalizes on its own. */
  billingReviewDays: number;
  /** Public API rate limit per customer: sustained requests per second and burst (token bucket, per process). */
  rateLimitRps: number;
  rateLimitBurst: number;
  /** An `Idempotency-Key` left in progress by a killed process is taken over after this long. */
  idempotencyStaleMs: number;
  loginMaxFailures: number;
  /** Liveness challenges one verification session may be issued (EKYC_LIVENESS_MAX_ATTEMPTS). */
  livenessMaxAttempts: number;
  /**
   * A session still `processing` this long after submission (its job lost beyond the queue's retries)
   * is processed once more, then sent to review (EKYC_PROCESSING_STUCK_MINUTES).
   */
  processingStuckMinutes: number;
  loginWindowMinutes: number;
  seedDemoData: boolean;
  adminEmail: string;
  adminPassword: string | undefined;
  demoPassword: string;
  demoApiKey: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  timezone: string;
  /** AES-256 key for files and one-time links (EKYC_MASTER_KEY, 64 hex or 44 base64 chars); undefined → key file in dataDir. */
  masterKey: Buffer | undefined;
  /** Working days the original unit has to declare a renewal before any other unit may. */
  renewalPriorityWorkingDays: number;
  /** Days a cancelled or expired customer's admin can still export invoices and results. */
  retentionDays: number;
  /** Hours a one-time account-details link stays valid. */
  secureLinkTtlHours: number;
  /** The master key being rotated out (EKYC_MASTER_KEY_PREVIOUS): still unwraps data keys until `npm run keys:rotate`. */
  masterKeyPrevious: Buffer | undefined;
  /** Where blobs live: undefined → encrypted files in `dataDir/files`; `s3://bucket?endpoint=…` → S3-compatible store (STORAGE_URL). */
  storageUrl: string | undefined;
  /** Default days images and chip files are kept after a session ends (EKYC_IMAGE_RETENTION_DAYS); per customer in `privacy_settings`. */
  imageRetentionDays: number;
  /** Default days extracted personal fields are kept (EKYC_RESULT_RETENTION_DAYS); per customer in `privacy_settings`. */
  resultRetentionDays: number;
  /** Worker threads running face detection and embedding (EKYC_FACE_WORKERS), each with its own models (~100 MB). */
  faceWorkers: number;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

function masterKey(env: Env, name = 'EKYC_MASTER_KEY'): Buffer | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(raw) && !/^[A-Za-z0-9+/]{43}=?$/.test(raw))) {
    throw new ConfigError(name, 'must be 32 bytes as 64 hex digits or base64');
  }
  return key;
}

function storageUrl(env: Env): string | undefined {
  const raw = env.STORAGE_URL;
  if (raw === undefined || raw === '' || raw === 'local') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError('STORAGE_URL', 'must be s3://bucket?endpoint=… or local');
  }
  if (parsed.protocol !== 's3:' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(parsed.hostname)) {
    throw new ConfigError('STORAGE_URL', 'must be s3://<bucket>[/prefix]?endpoint=…&region=…');
  }
  const endpoint = parsed.searchParams.get('endpoint');
  if (endpoint !== null && !/^https?:\/\//.test(endpoint)) {
    throw new ConfigError('STORAGE_URL', 'endpoint must be an http(s) URL');
  }
  return raw;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function loadConfig(env: Env = process.env): Config {
  const environment = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const port = int(env, 'PORT', 3000, 0, 65535);
  const adminEmail = (env.EKYC_ADMIN_EMAIL ?? 'admin@ekyc.local').trim().toLowerCase();
  if (!EMAIL.test(adminEmail)) throw new ConfigError('EKYC_ADMIN_EMAIL', 'must be an email address');
  const adminPassword = env.EKYC_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('EKYC_ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  const demoApiKey = env.EKYC_DEMO_API_KEY || undefined;
  if (demoApiKey !== undefined && !/^[A-Za-z0-9_\-.]{24,200}$/.test(demoApiKey)) {
    throw new ConfigError('EKYC_DEMO_API_KEY', 'must be 24–200 characters of letters, digits, _ - .');
  }
  const host = env.HOST || '0.0.0.0';
  return {
    env: environment,
    port,
    host,
    publicUrl: url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    dataDir: path.resolve(env.DATA_DIR || 'data'),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      environment === 'test' ? 'silent' : 'info',
    ),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    cookieSecure: bool(env, 'COOKIE_SECURE', environment === 'production'),
    sessionTtlHours: int(env, 'SESSION_TTL_HOURS', 12, 1, 24 * 30),
    apiKeyGraceHours: int(env, 'API_KEY_GRACE_HOURS', 24, 0, 24 * 90),
    billingVatPercent: int(env, 'BILLING_VAT_PERCENT', 10, 0, 100),
    billingReviewDays: int(env, 'BILLING_REVIEW_DAYS', 5, 0, 365),
    rateLimitRps: int(env, 'EKYC_RATE_LIMIT_RPS', 50, 1, 100_000),
    rateLimitBurst: int(env, 'EKYC_RATE_LIMIT_BURST', 250, 1, 1_000_000),
    idempotencyStaleMs: int(env, 'EKYC_IDEMPOTENCY_STALE_MS', 120_000, 0, 24 * 3_600_000),
    loginMaxFailures: int(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
    loginWindowMinutes: int(env, 'LOGIN_WINDOW_MINUTES', 15, 1, 24 * 60),
    seedDemoData: bool(env, 'EKYC_DEMO_DATA', environment !== 'production'),
    livenessMaxAttempts: int(env, 'EKYC_LIVENESS_MAX_ATTEMPTS', 3, 1, 100),
    processingStuckMinutes: int(env, 'EKYC_PROCESSING_STUCK_MINUTES', 15, 1, 24 * 60),
    adminEmail,
    adminPassword,
    demoPassword: env.EKYC_DEMO_PASSWORD || 'Demo@2026',
    demoApiKey,
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: env.MAIL_FROM || 'MobiFone eKYC <no-reply@ekyc.local>',
    timezone: 'Asia/Ho_Chi_Minh',
    masterKey: masterKey(env),
    renewalPriorityWorkingDays: int(env, 'EKYC_RENEWAL_PRIORITY_DAYS', 5, 0, 60),
    retentionDays: int(env, 'EKYC_RETENTION_DAYS', 90, 0, 3650),
    secureLinkTtlHours: int(env, 'EKYC_LINK_TTL_HOURS', 72, 1, 24 * 30),
    masterKeyPrevious: masterKey(env, 'EKYC_MASTER_KEY_PREVIOUS'),
    storageUrl: storageUrl(env),
    imageRetentionDays: int(env, 'EKYC_IMAGE_RETENTION_DAYS', 30, 0, 3650),
    resultRetentionDays: int(env, 'EKYC_RESULT_RETENTION_DAYS', 365, 0, 3650),
    faceWorkers: int(env, 'EKYC_FACE_WORKERS', availableParallelism(), 1, 64),
  };
}
