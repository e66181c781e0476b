// The site config's `drivers:` section (issue 12): OPC UA channel security and the GPIO port are validated
// with the rest of the file, every problem names its config path, and the environment variables these
// options were once read from stop the load with the key that replaced them.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../contract/load-yaml.js';
import { parseSiteConfig } from '../../config/load-site.js';
import { RETIRED_DRIVER_ENVIRONMENT } from '../../gateway/drivers/registry.js';

const base = `version: 1
gateway: { township: t1, compound: c1, id: gw-1 }
sources:
  - { id: door-1, profile: generic/gpio-door-contact, gpio: { lines: { contact: 17 } }, tags: { building: "1" } }
`;

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseSiteConfig('site.yaml', text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

describe('drivers: in the site config', () => {
  it('defaults to a secure OPC UA channel and the onoff port when the section is left out', () => {
    const { drivers } = parseSiteConfig('site.yaml', base, {}).config;
    expect(drivers.opcua).toEqual({
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      pkiDir: '/var/lib/lastmile/opcua-pki',
      acceptUnknownServerCertificates: false,
      applicationName: 'lastmile-gateway',
      connectTimeout: 10_000,
      maxRetryDelay: 10_000,
    });
    expect(drivers.gpio).toEqual({ port: 'onoff', sysfsRoot: '/sys/class/gpio', debounce: 50 });
  });

  it('reads what a site sets, durations as milliseconds', () => {
    const text = `${base}drivers:
  opcua: { securityMode: Sign, securityPolicy: Aes256_Sha256_RsaPss, pkiDir: /srv/pki, maxRetryDelay: 2s }
  gpio: { port: memory, chipLabel: pinctrl-custom, debounce: 20ms }
`;
    const { drivers } = parseSiteConfig('site.yaml', text, {}).config;
    expect(drivers.opcua).toMatchObject({ securityMode: 'Sign', securityPolicy: 'Aes256_Sha256_RsaPss', pkiDir: '/srv/pki', maxRetryDelay: 2000, connectTimeout: 10_000 });
    expect(drivers.gpio).toEqual({ port: 'memory', sysfsRoot: '/sys/class/gpio', chipLabel: 'pinctrl-custom', debounce: 20 });
  });

  it('names the config path of each mistake: half-secure channel, unknown key, relative pkiDir, too long a debounce, a driver without options', () => {
    const text = `${base}drivers:
  opcua: { securityMode: None, securityMod: None, pkiDir: opcua-pki }
  gpio: { debounce: 10s }
  modbus: {}
`;
    const issues = issuesOf(text);
    expect(issues).toContainEqual(expect.stringMatching(/^site\.yaml:6:\d+ drivers\.opcua\.securityMod: .*unknown key "securityMod"/));
    expect(issues).toContainEqual(expect.stringMatching(/^site\.yaml:6:\d+ drivers\.opcua\.pkiDir: use an absolute path, e\.g\. \/var\/lib\/lastmile\/opcua-pki$/));
    expect(issues).toContainEqual(expect.stringMatching(/^site\.yaml:7:\d+ drivers\.gpio\.debounce: at most 5s/));
    expect(issues).toContainEqual(expect.stringMatching(/^site\.yaml:8:\d+ drivers\.modbus: .*unknown key "modbus"/));
    // The refinement runs once the block's own fields are valid.
    expect(issuesOf(`${base}drivers: { opcua: { securityMode: None } }\n`)).toEqual([
      expect.stringMatching(/^site\.yaml:5:\d+ drivers\.opcua\.securityPolicy: securityMode and securityPolicy must both be None or both be secure$/),
    ]);
  });

  it('refuses to load while an environment variable it no longer reads is set, naming the key that replaced it', () => {
    expect(Object.keys(RETIRED_DRIVER_ENVIRONMENT).sort()).toEqual([
      'LASTMILE_GPIO_CHIP_LABEL',
      'LASTMILE_GPIO_DEBOUNCE_MS',
      'LASTMILE_GPIO_PORT',
      'LASTMILE_GPIO_SYSFS_ROOT',
      'LASTMILE_OPCUA_ACCEPT_UNKNOWN_SERVER_CERTS',
      'LASTMILE_OPCUA_PKI_DIR',
      'LASTMILE_OPCUA_SECURITY_MODE',
      'LASTMILE_OPCUA_SECURITY_POLICY',
    ]);
    const issues = issuesOf(`${base}drivers: { opcua: { pkiDir: /srv/pki } }\n`, { LASTMILE_OPCUA_SECURITY_MODE: 'None', LASTMILE_GPIO_DEBOUNCE_MS: '20', LASTMILE_GPIO_PORT: '' });
    expect(issues).toEqual([
      'site.yaml:5:12 drivers.opcua.securityMode: 环境变量 LASTMILE_OPCUA_SECURITY_MODE 已不再读取：请在站点配置里设置 drivers.opcua.securityMode，再删除该变量 / the environment variable LASTMILE_OPCUA_SECURITY_MODE is no longer read: set drivers.opcua.securityMode in the site config and remove the variable',
      'site.yaml:5:1 drivers.gpio.debounce: 环境变量 LASTMILE_GPIO_DEBOUNCE_MS 已不再读取：请在站点配置里设置 drivers.gpio.debounce，再删除该变量 / the environment variable LASTMILE_GPIO_DEBOUNCE_MS is no longer read: set drivers.gpio.debounce in the site config and remove the variable',
    ]);
    for (const [name, key] of Object.entries(RETIRED_DRIVER_ENVIRONMENT)) {
      expect(issuesOf(base, { [name]: '1' })).toEqual([expect.stringContaining(`${name} is no longer read: set ${key} in the site config`)]);
    }
  });
});
