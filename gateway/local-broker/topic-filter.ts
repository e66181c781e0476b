// MQTT topic names and filters (MQTT 3.1.1 §4.7): validity, matching, and whether one filter covers
// another. Used by the local broker's ACL and by the MQTT driver to route messages to sources.

/** A topic name a client may publish to: non-empty, no wildcards, no NUL. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000');
}

/** A topic filter: `+` only as a whole level, `#` only as the whole last level. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, index) => {
    if (level.includes('#')) return level === '#' && index === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

/**
 * Does `topic` match `filter`? Wildcards at the first level never match topics starting with `$`
 * ([MQTT-4.7.2-1]), so `#` does not hand out `$SYS`.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true; // also matches the parent level: "a/#" matches "a"
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Is every topic that `requested` can match also matched by `allowed`? This is the subscribe ACL:
 * a user allowed `a/+/c` may subscribe to `a/x/c` or `a/+/c`, not to `a/#`.
 */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  if (requested.startsWith('$') !== allowed.startsWith('$') && (a[0] === '+' || a[0] === '#')) return false;
  for (let i = 0; i < a.length; i++) {
    const level = a[i]!;
    if (level === '#') return true;
    const wanted = r[i];
    if (wanted === undefined || wanted === '#') return false;
    if (level === '+') continue;
    if (wanted !== level) return false; // a literal level covers only that same literal, never '+'
  }
  return a.length === r.length;
}

/** Placeholder for the connecting user's name in ACL filters, like mosquitto's `%u` patterns. */
export const USERNAME_PLACEHOLDER = '%u';

/** `%u` may only be a whole level, so a username can never widen a filter (usernames have no `/`, `+`, `#`). */
export function isValidAclFilter(filter: string): boolean {
  if (!isValidFilter(filter)) return false;
  return filter.split('/').every((level) => level === USERNAME_PLACEHOLDER || !level.includes(USERNAME_PLACEHOLDER));
}

/** Replaces whole-level `%u` with the username. */
export function expandUserFilter(filter: string, username: string): string {
  return filter
    .split('/')
    .map((level) => (level === USERNAME_PLACEHOLDER ? username : level))
    .join('/');
}
