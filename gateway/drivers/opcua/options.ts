// Options of the OPC UA driver that are not per source: channel security and where certificates live.
// The site config's source section (config/sections/sources.ts `opcua:`) carries endpoint, nodes and
// publishing interval only, so these come from the environment or from the runtime
// (setOpcuaDriverOptions) until the site schema grows an `opcua.security` block (see README.md).
import { z } from 'zod';

/** Security policies node-opcua-client 2.180 offers that are not deprecated by OPC UA 1.04+. */
export const OPCUA_SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

export const opcuaDriverOptions = z
  .strictObject({
    securityMode: z
      .enum(['None', 'Sign', 'SignAndEncrypt'])
      .default('SignAndEncrypt')
      .describe('Message security mode; None only on an isolated plant network and only when the server offers nothing else'),
    securityPolicy: z.enum(OPCUA_SECURITY_POLICIES).default('Basic256Sha256').describe('Must be None exactly when securityMode is None'),
    pkiDir: z
      .string()
      .min(1)
      .default('/var/lib/lastmile/opcua-pki')
      .describe('Certificate folder: own/ (gateway certificate and key, made on first start), trusted/, rejected/, issuers/'),
    acceptUnknownServerCertificates: z
      .boolean()
      .default(false)
      .describe('Trust any server certificate on first contact; off by default: move the server certificate from rejected/ to trusted/'),
    applicationName: z.string().min(1).default('lastmile-gateway'),
    connectTimeout: z.number().int().min(100).default(10_000).describe('Milliseconds for one connection attempt'),
    maxRetryDelay: z.number().int().min(100).default(10_000).describe('Longest wait between reconnection attempts, ms'),
  })
  .refine((o) => (o.securityMode === 'None') === (o.securityPolicy === 'None'), {
    message: 'securityMode and securityPolicy must both be None or both be secure',
    path: ['securityPolicy'],
  });
export type OpcuaDriverOptions = z.infer<typeof opcuaDriverOptions>;
export type OpcuaDriverOptionsInput = z.input<typeof opcuaDriverOptions>;

/** Environment variables read when the runtime did not set options (documented in README.md). */
export const OPCUA_ENVIRONMENT = {
  securityMode: 'LASTMILE_OPCUA_SECURITY_MODE',
  securityPolicy: 'LASTMILE_OPCUA_SECURITY_POLICY',
  pkiDir: 'LASTMILE_OPCUA_PKI_DIR',
  acceptUnknownServerCertificates: 'LASTMILE_OPCUA_ACCEPT_UNKNOWN_SERVER_CERTS',
} as const;

export function opcuaOptionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): OpcuaDriverOptions {
  const input: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(OPCUA_ENVIRONMENT)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    input[key] = key === 'acceptUnknownServerCertificates' ? value === 'true' || value === '1' : value;
  }
  const parsed = opcuaDriverOptions.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`).join('; ');
    throw new Error(`OPC UA driver options from the environment (${Object.values(OPCUA_ENVIRONMENT).join(', ')}) are invalid: ${problems}`);
  }
  return parsed.data;
}

let injected: OpcuaDriverOptions | undefined;

/** Lets the runtime (or a test) set the options instead of the environment; undefined restores the environment. */
export function setOpcuaDriverOptions(options: OpcuaDriverOptionsInput | undefined): void {
  injected = options === undefined ? undefined : opcuaDriverOptions.parse(options);
}

export function currentOpcuaDriverOptions(): OpcuaDriverOptions {
  return injected ?? opcuaOptionsFromEnvironment();
}
