// The local broker's device users: who may connect (scrypt hash from passwordFile) and what each may
// publish and subscribe to (topic filters with `%u` already replaced by the username).
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { localBrokerUser } from '../../config/sections/outputs.js';
import { parsePasswordHash, type PasswordHash } from '../../contract/password-hash.js';
import { expandUserFilter, filterCovers, topicMatches } from './topic-filter.js';

export type LocalBrokerUserConfig = z.infer<typeof localBrokerUser>;

/** `$` cannot start a device username (see config/sections/outputs.ts), so no device can claim this name. */
export const INTERNAL_USERNAME = '$lastmile-gateway';
/** Client ids of the gateway's own clients; devices may not use this prefix (it would kick the gateway off). */
export const INTERNAL_CLIENT_PREFIX = 'lastmile-gw-';

export interface DeviceUser {
  readonly username: string;
  readonly hash: PasswordHash;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/** A configured user that could not be enabled, with the config path and a reason an installer can act on. */
export interface UserProblem {
  readonly username: string;
  readonly path: string;
  readonly reason: string;
}

/** Reads every user's password file; a user whose file is missing or malformed is left out (and reported), never let in. */
export function loadDeviceUsers(users: readonly LocalBrokerUserConfig[]): { users: Map<string, DeviceUser>; problems: UserProblem[] } {
  const loaded = new Map<string, DeviceUser>();
  const problems: UserProblem[] = [];
  users.forEach((user, index) => {
    const path = `localBroker.users[${index}].passwordFile`;
    if (loaded.has(user.username)) {
      problems.push({ username: user.username, path: `localBroker.users[${index}].username`, reason: 'duplicate username; the first entry is used' });
      return;
    }
    let text: string;
    try {
      text = readFileSync(user.passwordFile, 'utf8');
    } catch (error) {
      problems.push({ username: user.username, path, reason: `cannot read ${user.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
      return;
    }
    const hash = parsePasswordHash(text);
    if ('error' in hash) {
      problems.push({ username: user.username, path, reason: `${user.passwordFile}: ${hash.error}` });
      return;
    }
    loaded.set(user.username, {
      username: user.username,
      hash,
      publish: user.publish.map((f) => expandUserFilter(f, user.username)),
      subscribe: user.subscribe.map((f) => expandUserFilter(f, user.username)),
    });
  });
  return { users: loaded, problems };
}

export function mayPublish(user: DeviceUser, topic: string): boolean {
  return user.publish.some((filter) => topicMatches(filter, topic));
}

export function maySubscribe(user: DeviceUser, filter: string): boolean {
  return user.subscribe.some((allowed) => filterCovers(allowed, filter));
}
