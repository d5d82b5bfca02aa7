// Parses the environment once into a frozen, typed Config. Nothing else reads process.env.
// In production a missing secret stops the start; in development the secret is generated once
// and kept in DATA_DIR so `npm start` just works.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  SECRET_KEY: z.string().min(32, 'SECRET_KEY must be at least 32 characters').optional(),
  LTI_TOKEN_MAX_AGE_SECONDS: z.coerce.number().int().min(5).max(3600).default(120),
  LTI_JWKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
  LTI_JWKS_CACHE_SECONDS: z.coerce.number().int().min(0).max(86400).default(600),
  LTI_LOGIN_STATE_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
  SESSION_TTL_HOURS: z.coerce.number().min(0.1).max(72).default(24),
  CLAIM_TOKEN_DAYS: z.coerce.number().int().min(1).max(3650).default(60),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'SMTP_URL must look like smtp://user:pass@host:587' }).optional(),
  MAIL_FROM: z.string().min(3).max(320).default('Badgetrail <badges@localhost>'),
  LMS_PULL_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  DYNREG_AUTO_ACTIVATE: bool.default(true),
  DEMO_MODE: bool.default(false),
  DEMO_LMS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ADMIN_SOCKET: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['info', 'silent']).default('info'),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly secretKey: string;
  readonly lti: {
    readonly tokenMaxAgeSeconds: number;
    readonly jwksTimeoutMs: number;
    readonly jwksCacheSeconds: number;
    readonly loginStateSeconds: number;
    readonly autoActivate: boolean;
  };
  readonly sessionTtlHours: number;
  readonly claimTokenDays: number;
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string };
  readonly lmsPullMinutes: number;
  readonly demo: { readonly enabled: boolean; readonly lmsPort: number };
  readonly adminSocket: string;
  readonly logLevel: 'info' | 'silent';
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  if (e.NODE_ENV === 'production' && !e.SECRET_KEY) {
    throw new ConfigError('Invalid configuration:\n  SECRET_KEY: required in production (at least 32 random characters)');
  }
  if (e.NODE_ENV === 'production' && !e.PUBLIC_URL) {
    throw new ConfigError('Invalid configuration:\n  PUBLIC_URL: required in production (the https address LMSs reach)');
  }
  if (e.NODE_ENV === 'production' && e.DEMO_MODE) {
    throw new ConfigError('Invalid configuration:\n  DEMO_MODE: the demo LMS is never served in production');
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    secretKey: e.SECRET_KEY ?? developmentSecret(dataDir),
    lti: Object.freeze({
      tokenMaxAgeSeconds: e.LTI_TOKEN_MAX_AGE_SECONDS,
      jwksTimeoutMs: e.LTI_JWKS_TIMEOUT_MS,
      jwksCacheSeconds: e.LTI_JWKS_CACHE_SECONDS,
      loginStateSeconds: e.LTI_LOGIN_STATE_SECONDS,
      autoActivate: e.DYNREG_AUTO_ACTIVATE,
    }),
    sessionTtlHours: e.SESSION_TTL_HOURS,
    claimTokenDays: e.CLAIM_TOKEN_DAYS,
    mail: Object.freeze({ smtpUrl: e.SMTP_URL, from: e.MAIL_FROM }),
    lmsPullMinutes: e.LMS_PULL_MINUTES,
    demo: Object.freeze({ enabled: e.DEMO_MODE, lmsPort: e.DEMO_LMS_PORT ?? e.PORT + 1 }),
    adminSocket: path.resolve(e.ADMIN_SOCKET ?? path.join(dataDir, 'admin.sock')),
    logLevel: e.LOG_LEVEL,
  });
}

/** Loads `.env` from the working directory if there is one (Node >= 20.12). */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

// An empty variable in .env means "not set", not "set to empty".
function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => !!kv[1]));
}

// Development only: generate the secret on first start and keep it beside the data.
function developmentSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
