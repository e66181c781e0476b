// `lastmile-ingest provision`: issues a gateway identity and a random token (24 bytes, the gateway's
// MQTT password), records its HMAC verifier in the registry and returns everything an installer needs:
// the gateway's `uplink:` block, its password file, and the broker entries (aedes registry entry, or
// Mosquitto password/ACL lines; mosquitto checks its own $7$ PBKDF2 line).
import { stringify } from 'yaml';
import { topics, TOPIC_ROOT } from '../../contract/wire.js';
import { mosquittoPasswordHash, randomPassword } from './password.js';
import { gatewayEntry, type GatewayEntry, type GatewayRegistry } from './registry.js';

export interface ProvisionRequest {
  readonly gateway: string;
  readonly township: string;
  readonly compound: string;
  /** Broker URL the gateway connects to, e.g. mqtts://ingest.town.example:8883. */
  readonly brokerUrl: string;
  /** Where the gateway will keep its password file. */
  readonly passwordFile?: string;
  /** Replace an existing gateway's password (otherwise an existing id is an error). */
  readonly rotate?: boolean;
}

export interface ProvisionResult {
  readonly entry: GatewayEntry;
  /** The token, shown once; it is stored only as the registry's HMAC verifier and mosquitto's hash. */
  readonly password: string;
  /** YAML `uplink:` block for the gateway's site config. */
  readonly uplinkYaml: string;
  /** mosquitto password_file line (mosquitto 2.0 $7$ format). */
  readonly mosquittoPasswordLine: string;
  /** mosquitto acl_file lines. */
  readonly mosquittoAcl: string;
}

export function provisionGateway(registry: GatewayRegistry, request: ProvisionRequest): ProvisionResult {
  const existing = registry.get(request.gateway);
  if (existing && !request.rotate) throw new Error(`gateway "${request.gateway}" is already provisioned (township ${existing.township}); add --rotate to issue a new password / 已签发过，要换密码请加 --rotate`);
  const password = randomPassword();
  const entry: GatewayEntry = gatewayEntry.parse({
    id: request.gateway,
    township: request.township,
    compound: request.compound,
    passwordHash: registry.tokenVerifier(password),
    createdAt: new Date().toISOString(),
    disabled: false,
  });
  registry.put(entry);
  const passwordFile = request.passwordFile ?? '/etc/lastmile/uplink.password';
  const uplinkYaml = stringify({ uplink: { url: request.brokerUrl, username: request.gateway, clientId: request.gateway, passwordFile } });
  return {
    entry,
    password,
    uplinkYaml,
    mosquittoPasswordLine: `${request.gateway}:${mosquittoPasswordHash(password)}`,
    mosquittoAcl: mosquittoAclFor(request.gateway),
  };
}

/**
 * ACL for one gateway: write only its own uplink topics (never its command or receipt topic, which only
 * the township writes), read only its command and receipt topics.
 */
export function mosquittoAclFor(gateway: string): string {
  const root = `${TOPIC_ROOT}/${gateway}`;
  return [
    `user ${gateway}`,
    `topic write ${root}/t/+`,
    `topic write ${root}/a/+`,
    `topic write ${topics.status(gateway)}`,
    `topic write ${topics.commandResult(gateway)}`,
    `topic read ${topics.command(gateway)}`,
    `topic read ${topics.receipt(gateway)}`,
    '',
  ].join('\n');
}

/**
 * Lines the township's mosquitto.conf needs once, on the gateways' listener (issue 13 item 8): the client
 * id is forced to the user name, so no gateway can use another's client id to knock it off or take its
 * session; message sizes keep one gateway from costing the others. Only on the gateways' listener
 * (`per_listener_settings true`): the cloud-ingest workers open several connections under one user, which
 * this option would make knock each other off, so they connect on a listener of their own.
 */
export const MOSQUITTO_CONF_LINES = ['use_username_as_clientid true', 'allow_anonymous false', 'max_packet_size 8388608', 'message_size_limit 8388608', ''].join('\n');

/** ACL for the cloud-ingest workers' broker user: read every gateway's uplink, write commands and receipts. */
export function mosquittoIngestAcl(user: string): string {
  return [`user ${user}`, `topic read ${TOPIC_ROOT}/#`, `topic write ${TOPIC_ROOT}/+/cmd`, `topic write ${TOPIC_ROOT}/+/receipt`, ''].join('\n');
}

/** The text `lastmile-ingest provision` prints (the password appears once, in the file instructions). */
export function formatProvisionResult(result: ProvisionResult): string {
  return [
    `# gateway ${result.entry.id}: township ${result.entry.township}, compound ${result.entry.compound}`,
    '# 1. gateway site config:',
    result.uplinkYaml.trimEnd(),
    '# 2. on the gateway, write the password file (mode 0600):',
    `#    ${result.password}`,
    '# 3a. embedded aedes broker: the registry entry has been saved.',
    '# 3b. Mosquitto: append to password_file:',
    result.mosquittoPasswordLine,
    '#     and to acl_file:',
    result.mosquittoAcl.trimEnd(),
    '#     mosquitto.conf needs, once, on the gateways\' listener only (per_listener_settings true; client id = user name):',
    ...MOSQUITTO_CONF_LINES.trimEnd().split('\n').map((line) => `#     ${line}`),
    '#     the cloud-ingest workers connect on a listener of their own without use_username_as_clientid',
    '#     (their connections share one user), with the same password_file and acl_file.',
    '',
  ].join('\n');
}
