// Golden packets for the GB/T 26875.3-2011 codec. Two independent sources, neither written by us:
// (a) the worked examples (示例 1–11) of a public transcription of the standard
//     (github.com/ActorLancer/GB-T-26875.3.2011-rs, "GB26875文档.md"), sums included, and
// (b) the self-test packet of dgiot's GB26875 decoder (github.com/dgiot/dgiot, apps/dgiot_gb26875).
// Each must decode to the documented meaning and re-encode to the same bytes.
import { describe, expect, it } from 'vitest';
import { PacketDecoder, type DecoderEvent } from '../../../../gateway/drivers/gbt26875/codec/decoder.js';
import { answerTo, COMMAND, encodeFrame, frameTimeOf, isValidTime, sum8, type Frame } from '../../../../gateway/drivers/gbt26875/codec/frame.js';
import { decodeAppUnit, encodeAppUnit, type InfoObject } from '../../../../gateway/drivers/gbt26875/codec/objects.js';
import { bitsOf, COMPONENT_BITS, DEVICE_BITS, DEVICE_OPERATION_BITS } from '../../../../gateway/drivers/gbt26875/codec/status.js';
import { decodeDescription, encodeDescription } from '../../../../gateway/drivers/gbt26875/codec/text.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');

const GOLDEN = {
  // 示例1: "2号10区 感烟探测器 火警 12年9月26日9时58分02秒" (device 000000000379 → centre 000000015b38)
  componentFire: hex('40 40 01 00 01 01 20 3A 09 1A 09 0C 79 03 00 00 00 00 38 5B 01 00 00 00 30 00 02 02 01 01 01 28 0A 00 02 00 02 00' + ' 20'.repeat(30) + ' 00 02 3A 09 1A 09 0C 46 23 23'),
  centreConfirm: hex('40 40 01 00 01 01 23 3A 09 1A 09 0C 38 5B 01 00 00 00 79 03 00 00 00 00 00 00 03 AB 23 23'),
  centreDeny: hex('40 40 01 00 01 01 23 3A 09 1A 09 0C 38 5B 01 00 00 00 79 03 00 00 00 00 00 00 06 AE 23 23'),
  // 示例2: transmission device main power fault (type 21, bit3)
  deviceMainPower: hex('40 40 01 00 01 01 20 3A 09 1A 09 0C 79 03 00 00 00 00 38 5B 01 00 00 00 09 00 02 15 01 08 02 3A 09 1A 09 0C 42 23 23'),
  // 示例3: duty-check answer recorded (type 24, bit5), operator 1
  dutyAnswer: hex('40 40 01 00 01 01 20 3A 09 1A 09 0C 79 03 00 00 00 00 38 5B 01 00 00 00 0A 00 02 18 01 20 01 02 3A 09 1A 09 0C 5F 23 23'),
  // 示例6: centre reads the device state (request, type 81) and the device answers (response, type 21)
  readDeviceState: hex('40 40 01 00 01 01 20 3A 09 1A 09 0C 38 5B 01 00 00 00 79 03 00 00 00 00 03 00 04 51 01 00 FE 23 23'),
  deviceStateResponse: hex('40 40 01 00 01 01 20 3A 09 1A 09 0C 79 03 00 00 00 00 38 5B 01 00 00 00 09 00 05 15 01 08 02 3A 09 1A 09 0C 45 23 23'),
  // 示例10: clock sync (control command, type 90, 6-byte time)
  syncClock: hex('40 40 01 00 01 01 20 3A 09 1A 09 0C 38 5B 01 00 00 00 79 03 00 00 00 00 08 00 01 5A 01 02 3A 09 1A 09 0C 7D 23 23'),
  // 示例11: duty check (control command, type 91, 10 minutes to answer)
  dutyCheck: hex('40 40 01 00 01 01 20 3A 09 1A 09 0C 38 5B 01 00 00 00 79 03 00 00 00 00 03 00 01 5B 01 0A 0F 23 23'),
  // dgiot test(): component fire with a GB 18030 description
  dgiotComponent: hex(
    '40 40 00 00 01 01 18 0d 11 16 0a 14 00 00 00 00 00 00 06 05 04 03 02 01 30 00 02 02 01 01 03 00 d9 00 06 00 02 00 a3 c1 c7 f8 a3 b1 b2 e3 df c8 b2 b8 d7 df c0 c8' +
      ' 00'.repeat(15) +
      ' 30 12 13 01 08 14 68 23 23',
  ),
};

function decodeAll(stream: Buffer): DecoderEvent[] {
  const events: DecoderEvent[] = [];
  const decoder = new PacketDecoder((event) => events.push(event));
  decoder.push(stream);
  decoder.flush();
  return events;
}

function onlyFrame(stream: Buffer): Frame {
  const events = decodeAll(stream);
  expect(events.map((e) => e.kind)).toEqual(['frame']);
  return (events[0] as Extract<DecoderEvent, { kind: 'frame' }>).frame;
}

function objectsOf(frame: Frame): readonly InfoObject[] {
  const result = decodeAppUnit(frame.appData);
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
  return result.unit.objects;
}

describe('GB/T 26875.3 golden packets', () => {
  it('every golden packet decodes and re-encodes to the same bytes', () => {
    for (const [name, bytes] of Object.entries(GOLDEN)) {
      const frame = onlyFrame(bytes);
      expect(encodeFrame(frame).equals(bytes), name).toBe(true);
    }
  });

  it('示例1: component fire in area 10, position 2, smoke detector, confirmed with the same serial', () => {
    const frame = onlyFrame(GOLDEN.componentFire);
    expect(frame.control).toMatchObject({ serial: 1, version: { major: 1, user: 1 }, source: '000000000379', destination: '000000015b38', command: COMMAND.send });
    const [object] = objectsOf(frame);
    expect(object).toMatchObject({ kind: 'component_state', component: { system: { type: 1, address: 1 }, type: 40, area: 10, position: 2 }, status: 2, description: '' });
    expect(bitsOf(COMPONENT_BITS, (object as { status: number }).status)).toMatchObject({ fire: true, fault: false, disabled: false });
    expect(object).toMatchObject({ time: { second: 2, minute: 58, hour: 9, day: 26, month: 9, year: 12 } });
    // Our confirm and deny are byte-for-byte the centre's answers of the example (its time label 09:58:35).
    const time = { second: 35, minute: 58, hour: 9, day: 26, month: 9, year: 12 };
    expect(encodeFrame(answerTo(frame.control, COMMAND.confirm, time)).equals(GOLDEN.centreConfirm)).toBe(true);
    expect(encodeFrame(answerTo(frame.control, COMMAND.deny, time)).equals(GOLDEN.centreDeny)).toBe(true);
  });

  it('示例2/6: device state main power fault, as an upload and as a response to a read', () => {
    for (const bytes of [GOLDEN.deviceMainPower, GOLDEN.deviceStateResponse]) {
      const [object] = objectsOf(onlyFrame(bytes));
      expect(object).toMatchObject({ kind: 'device_state', status: 8 });
      expect(bitsOf(DEVICE_BITS, 8)).toMatchObject({ main_power_fault: true, fire: false, backup_power_fault: false });
    }
    expect(onlyFrame(GOLDEN.deviceStateResponse).control.command).toBe(COMMAND.response);
    const read = onlyFrame(GOLDEN.readDeviceState);
    expect(read.control.command).toBe(COMMAND.request);
    expect(objectsOf(read)).toEqual([{ kind: 'read_device_state' }]);
    expect(encodeAppUnit([{ kind: 'read_device_state' }]).equals(read.appData)).toBe(true);
  });

  it('示例3/11: duty check command and its answer', () => {
    const check = onlyFrame(GOLDEN.dutyCheck);
    expect(check.control.command).toBe(COMMAND.control);
    expect(objectsOf(check)).toEqual([{ kind: 'duty_check', minutes: 10 }]);
    expect(encodeAppUnit([{ kind: 'duty_check', minutes: 10 }]).equals(check.appData)).toBe(true);
    const [answer] = objectsOf(onlyFrame(GOLDEN.dutyAnswer));
    expect(answer).toMatchObject({ kind: 'device_operation', flags: 0x20, operator: 1 });
    expect(bitsOf(DEVICE_OPERATION_BITS, 0x20)).toMatchObject({ duty_answer: true, reset: false });
  });

  it('示例10: clock sync carries the time to set', () => {
    const frame = onlyFrame(GOLDEN.syncClock);
    const time = { second: 2, minute: 58, hour: 9, day: 26, month: 9, year: 12 };
    expect(objectsOf(frame)).toEqual([{ kind: 'sync_clock', time }]);
    expect(encodeAppUnit([{ kind: 'sync_clock', time }]).equals(frame.appData)).toBe(true);
  });

  it('dgiot: a GB 18030 description decodes', () => {
    const [object] = objectsOf(onlyFrame(GOLDEN.dgiotComponent));
    expect(object).toMatchObject({ kind: 'component_state', description: 'Ａ区１层呷哺走廊', component: { system: { type: 1, address: 3 }, area: 0xd9, position: 6 }, status: 2 });
  });
});

describe('codec details', () => {
  it('the sum covers the control unit and the application data only', () => {
    const bytes = GOLDEN.deviceMainPower;
    expect(sum8(bytes, 2, bytes.length - 3)).toBe(bytes[bytes.length - 3]);
  });

  it('a damaged sum is reported with its offset and the serial to deny', () => {
    const damaged = Buffer.from(GOLDEN.componentFire);
    damaged[40] = damaged[40]! ^ 0x01;
    const events = decodeAll(Buffer.concat([Buffer.from('xyz'), damaged]));
    expect(events[0]).toMatchObject({ kind: 'bad_checksum', offset: 3, serial: 1, command: COMMAND.send, received: 0x46 });
    expect(events.filter((e) => e.kind === 'frame')).toHaveLength(0);
  });

  it('a length over 1024 is reported with its offset and the stream resyncs on the next packet', () => {
    const bogus = Buffer.from(GOLDEN.centreConfirm);
    bogus.writeUInt16LE(1025, 24);
    const events = decodeAll(Buffer.concat([bogus, GOLDEN.deviceMainPower]));
    expect(events[0]).toMatchObject({ kind: 'bad_length', offset: 0, declared: 1025 });
    expect(events.find((e) => e.kind === 'frame')).toMatchObject({ offset: bogus.length });
  });

  it('packets split across reads at every byte boundary decode the same', () => {
    const stream = Buffer.concat([GOLDEN.componentFire, Buffer.from('noise@@'), GOLDEN.dutyAnswer]);
    for (let cut = 1; cut < stream.length; cut++) {
      const frames: number[] = [];
      const decoder = new PacketDecoder((e) => e.kind === 'frame' && frames.push(e.offset));
      decoder.push(stream.subarray(0, cut));
      decoder.push(stream.subarray(cut));
      decoder.flush();
      expect(frames, `cut at ${cut}`).toEqual([0, GOLDEN.componentFire.length + 7]);
    }
  });

  it('wrong object lengths and counts are reasons with offsets, not exceptions', () => {
    expect(decodeAppUnit(Buffer.from([2, 1, 0, 0]))).toMatchObject({ ok: false, reason: 'bad_length', type: 2 });
    expect(decodeAppUnit(Buffer.from([2, 0]))).toMatchObject({ ok: false, reason: 'bad_count' });
    expect(decodeAppUnit(Buffer.from([2, 23]))).toMatchObject({ ok: false, reason: 'bad_count' });
    expect(decodeAppUnit(Buffer.from([200, 1, 0]))).toMatchObject({ ok: false, reason: 'unknown_type', type: 200 });
    expect(decodeAppUnit(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'empty' });
  });

  it('GB 18030 descriptions round-trip; invalid bytes are flagged with their hex', () => {
    const text = '3号楼6层楼梯间感烟探测器';
    expect(decodeDescription(encodeDescription(text))).toEqual({ ok: true, text });
    expect(encodeDescription(text)).toHaveLength(31);
    expect(() => encodeDescription('很长很长很长很长很长很长很长很长的说明')).toThrow(/at most 31/);
    expect(decodeDescription(Buffer.from([0xc8, 0xc8, 0xff, 0x30]))).toMatchObject({ ok: false, hex: 'c8c8ff30' });
  });

  it('time labels follow the configured zone and reject impossible dates', () => {
    // 2012-09-26 01:58:02 UTC is 09:58:02 in Beijing.
    expect(frameTimeOf(Date.UTC(2012, 8, 26, 1, 58, 2), 'Asia/Shanghai')).toEqual({ second: 2, minute: 58, hour: 9, day: 26, month: 9, year: 12 });
    expect(isValidTime({ second: 0, minute: 0, hour: 0, day: 30, month: 2, year: 24 })).toBe(false);
    expect(isValidTime({ second: 0, minute: 0, hour: 0, day: 29, month: 2, year: 24 })).toBe(true);
  });
});
