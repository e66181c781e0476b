// mqtt-packet's number cache (contract/mqtt-number-cache.ts): once switched off, writing packets makes no
// 65,536-Buffer cache, and the packets still read back as written (message ids and lengths past 255 and
// 65,535 bytes of payload length included). Without the switch the first packet written fills the cache,
// which the second test shows, so the first cannot pass by accident.
import { PassThrough } from 'node:stream';
import { createRequire } from 'node:module';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { makeMqttNumbersAsWritten } from '../../contract/mqtt-number-cache.js';

const require = createRequire(import.meta.url);
const numbers = require('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };

/** Writes the packets with writeToStream (as aedes and mqtt.js do) and parses what came out. */
async function roundTrip(packets: Packet[]): Promise<Packet[]> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  for (const p of packets) mqttPacket.writeToStream(p, stream);
  await new Promise((resolve) => setImmediate(resolve)); // writeToStream uncorks on the next tick
  const parser = mqttPacket.parser();
  const out: Packet[] = [];
  parser.on('packet', (p: Packet) => out.push(p));
  parser.parse(Buffer.concat(chunks));
  return out;
}

const publish = (messageId: number, payload: Buffer): Packet => ({ cmd: 'publish', topic: 'lm/v1/gw-1/t/b1', payload, qos: 1, messageId, retain: false, dup: false });

describe('mqtt-packet number cache', () => {
  it('makes no cache once switched off, and packets read back as written', async () => {
    makeMqttNumbersAsWritten();
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
    const big = Buffer.alloc(70_000, 7);
    const back = await roundTrip([publish(300, Buffer.from('x')), publish(65_535, big), { cmd: 'puback', messageId: 4_660 }]);
    expect(back.map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined])).toEqual([['publish', 300], ['publish', 65_535], ['puback', 4_660]]);
    expect((back[1] as { payload: Buffer }).payload.equals(big)).toBe(true);
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  });

  it('fills the cache at the first packet written when left on (what the switch prevents)', async () => {
    mqttPacket.writeToStream.cacheNumbers = true;
    try {
      await roundTrip([{ cmd: 'puback', messageId: 1 }]);
      expect(Object.keys(numbers.cache)).toHaveLength(65_536);
    } finally {
      makeMqttNumbersAsWritten();
    }
  });
});
