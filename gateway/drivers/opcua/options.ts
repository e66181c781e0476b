// Options of the OPC UA driver that are not per source: channel security and where certificates live.
// They are the site config's `drivers.opcua` block (config/sections/drivers.ts builds it from the
// registry), validated with the rest of the file; the source section (`opcua:` on a source, ./plugin.ts)
// carries endpoint, nodes and publishing interval. No secret is written here: the gateway's private key
// stays in pkiDir/own/private/ (mode 0700 folder), and the site file holds only the folder's path.
import { z } from 'zod';
import { absolutePath, duration } from '../../../config/sections/common.js';

/** Security policies node-opcua-client 2.180 offers that are not deprecated by OPC UA 1.04+. */
export const OPCUA_SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

export const opcuaDriverOptions = z
  .strictObject({
    securityMode: z
      .enum(['None', 'Sign', 'SignAndEncrypt'])
      .default('SignAndEncrypt')
      .describe('Message security mode; None only on an isolated plant network and only when the server offers nothing else'),
    securityPolicy: z.enum(OPCUA_SECURITY_POLICIES).default('Basic256Sha256').describe('Must be None exactly when securityMode is None'),
    pkiDir: absolutePath('/var/lib/lastmile/opcua-pki')
      .default('/var/lib/lastmile/opcua-pki')
      .describe('Certificate folder (created with mode 0700): own/ (gateway certificate and private key, made on first start), trusted/, rejected/, issuers/'),
    acceptUnknownServerCertificates: z
      .boolean()
      .default(false)
      .describe('Trust any server certificate on first contact; off by default: move the server certificate from rejected/ to trusted/certs/'),
    applicationName: z.string().min(1).default('lastmile-gateway').describe('Application name in the gateway certificate and the session'),
    connectTimeout: duration.prefault('10s').describe('One connection attempt'),
    maxRetryDelay: duration.prefault('10s').describe('Longest wait between reconnection attempts'),
  })
  .refine((o) => (o.securityMode === 'None') === (o.securityPolicy === 'None'), {
    message: 'securityMode and securityPolicy must both be None or both be secure',
    path: ['securityPolicy'],
  })
  .describe('OPC UA channel security and certificates, for every OPC UA source');
export type OpcuaDriverOptions = z.infer<typeof opcuaDriverOptions>;
export type OpcuaDriverOptionsInput = z.input<typeof opcuaDriverOptions>;

/** The environment variables the driver read before these options moved into the site config (issue 12). */
export const OPCUA_RETIRED_ENVIRONMENT = {
  LASTMILE_OPCUA_SECURITY_MODE: 'drivers.opcua.securityMode',
  LASTMILE_OPCUA_SECURITY_POLICY: 'drivers.opcua.securityPolicy',
  LASTMILE_OPCUA_PKI_DIR: 'drivers.opcua.pkiDir',
  LASTMILE_OPCUA_ACCEPT_UNKNOWN_SERVER_CERTS: 'drivers.opcua.acceptUnknownServerCertificates',
} as const;
