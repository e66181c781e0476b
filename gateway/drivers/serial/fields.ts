// Node messages → the JSON document a profile's `json:` paths pick from (README.md "Naming node fields"):
//   DATA       { data: { "<index>": value } }                      json: data.0
//   EVENT      { event: { <name>: true|false }, data: {…} }         json: event.smoke
//   HEARTBEAT  { heartbeat: { uptime_s, battery_mv } }              json: heartbeat.battery_mv
//   HELLO      { node: { model, firmware, protocol } }              json: node.firmware
import type { DataEntry, EventMessage, Heartbeat, Hello } from '../../../firmware-bridge/topics.js';
import { eventName } from '../../../firmware-bridge/topics.js';

export type NodeFields = Readonly<Record<string, unknown>>;

function entriesObject(entries: readonly DataEntry[]): Record<string, boolean | number | string> {
  const out: Record<string, boolean | number | string> = {};
  for (const entry of entries) out[String(entry.index)] = entry.value;
  return out;
}

export function dataFields(entries: readonly DataEntry[]): NodeFields {
  return { data: entriesObject(entries) };
}

export function eventFields(event: EventMessage): NodeFields {
  const fields: Record<string, unknown> = { event: { [eventName(event.code)]: event.active } };
  if (event.entries.length > 0) fields.data = entriesObject(event.entries);
  return fields;
}

export function heartbeatFields(heartbeat: Heartbeat): NodeFields {
  return { heartbeat: { uptime_s: heartbeat.uptimeS, battery_mv: heartbeat.batteryMv } };
}

export function helloFields(hello: Hello): NodeFields {
  const { firmware, protocol } = hello;
  return { node: { model: hello.model, firmware: `${firmware.major}.${firmware.minor}.${firmware.patch}`, protocol: `${protocol.major}.${protocol.minor}` } };
}

/** True when the dotted path names a present field (the decoder picks it the same way). */
export function hasField(fields: NodeFields, path: string): boolean {
  let node: unknown = fields;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return node !== undefined;
}
