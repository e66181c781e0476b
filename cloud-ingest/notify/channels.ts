// A configured channel becomes a sender: its secret files are read once at start, and must be private
// (0600): a robot key is the whole secret, so a file others can read is refused, naming its config path.
import { statSync } from 'node:fs';
import { readSecretFile } from '../config.js';
import { sms, webhook } from './http-channels.js';
import type { Channel } from './notifier.js';
import type { ChannelOptions } from './options.js';
import { dingtalk, feishu, wecom } from './robots.js';

function privateSecret(path: string, what: string): string {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new Error(`${what}: ${path} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${path}`);
  return readSecretFile(path, what);
}

/** Builds the senders, reading each secret file (config path named in the error when one is missing or empty). */
export function buildChannels(options: readonly ChannelOptions[]): Channel[] {
  return options.map((c, i) => {
    const secret = (path: string, key: string) => privateSecret(path, `notify.channels[${i}].${key}`);
    const base = { name: c.name, type: c.type, minIntervalMs: c.minIntervalMs, needsPhone: false };
    switch (c.type) {
      case 'wecom':
        return { ...base, format: wecom(c.url, secret(c.keyFile, 'keyFile')) };
      case 'dingtalk':
        return { ...base, format: dingtalk(c.url, secret(c.tokenFile, 'tokenFile'), c.secretFile ? secret(c.secretFile, 'secretFile') : undefined) };
      case 'feishu':
        return { ...base, format: feishu(c.url, secret(c.hookFile, 'hookFile'), c.secretFile ? secret(c.secretFile, 'secretFile') : undefined) };
      case 'webhook':
        return { ...base, format: webhook(c.url, c.authorizationFile ? secret(c.authorizationFile, 'authorizationFile') : undefined) };
      case 'sms':
        return { ...base, needsPhone: true, format: sms(c.url, secret(c.authorizationFile, 'authorizationFile'), c.templateId) };
    }
  });
}
