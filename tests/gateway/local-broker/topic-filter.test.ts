import { describe, expect, it } from 'vitest';
import { expandUserFilter, filterCovers, isValidAclFilter, isValidFilter, isValidTopicName, topicMatches } from '../../../gateway/local-broker/topic-filter.js';

describe('topic filters', () => {
  it('validates filters and topic names', () => {
    expect(isValidFilter('a/+/c/#')).toBe(true);
    expect(isValidFilter('a/b+/c')).toBe(false);
    expect(isValidFilter('a/#/c')).toBe(false);
    expect(isValidFilter('')).toBe(false);
    expect(isValidTopicName('a/b')).toBe(true);
    expect(isValidTopicName('a/+')).toBe(false);
    expect(isValidAclFilter('lastmile/dev/%u/#')).toBe(true);
    expect(isValidAclFilter('lastmile/dev-%u/#')).toBe(false);
  });

  it('matches topics like MQTT 3.1.1 §4.7', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/d')).toBe(false);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('a/b', 'a/b/c')).toBe(false);
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(topicMatches('+/broker', '$SYS/broker')).toBe(false);
  });

  it('decides whether an allowed filter covers a requested subscription', () => {
    expect(filterCovers('a/#', 'a/+/c')).toBe(true);
    expect(filterCovers('a/+/c', 'a/x/c')).toBe(true);
    expect(filterCovers('a/+/c', 'a/+/c')).toBe(true);
    expect(filterCovers('a/+/c', 'a/#')).toBe(false);
    expect(filterCovers('a/x/c', 'a/+/c')).toBe(false);
    expect(filterCovers('a/b', 'a/b/c')).toBe(false);
    expect(filterCovers('#', '$SYS/#')).toBe(false);
  });

  it('substitutes %u only as a whole level', () => {
    expect(expandUserFilter('lastmile/dev/%u/#', 'node-1')).toBe('lastmile/dev/node-1/#');
  });
});
