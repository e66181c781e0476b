// What happens in the demo compound, on a loop, so a visitor sees the whole alarm path without touching
// anything: a fire panel zone in fire (GB/T 26875.3 transmission device), water on the garage ramp (alarm,
// siren, then it drains and clears), smoke in the cable riser (fire, latched until township staff reset
// it), a forced courtyard gate, and the fire door propped open. The township's duty officer works the
// cases on the board's workflow (confirm, dispatch, handled, reset from the board, close with a cause),
// except the forced gate: nobody dispatches it, so it escalates to the second officer and then the
// township leader, and the notifications print in the terminal.
import type { EventBus } from '../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../gateway/pipeline/events.js';
import type { MemoryGpioPort } from '../../gateway/drivers/gpio/memory-port.js';
import type { AccessControllerSimulator } from '../../gateway/sim/access-controller.js';
import { ACS_MINOR } from '../../gateway/sim/access-controller.js';
import type { Gbt26875DeviceSimulator } from '../../gateway/sim/gbt26875-device.js';
import { COMPONENT_STATUS } from '../../gateway/sim/gbt26875-device.js';
import type { ModbusSimulator } from '../../gateway/sim/modbus-simulator.js';

/** What the storyline's township duty officer can do; a source names its open case. */
export interface StoryTownship {
  confirm(source: string, confirmation: 'real' | 'false_alarm' | 'test', method: 'phone' | 'video' | 'patrol'): Promise<void>;
  dispatch(source: string, to: string): Promise<void>;
  handled(source: string, note: string): Promise<void>;
  close(source: string, cause: 'real_handled' | 'false_alarm' | 'device_fault' | 'test', note?: string): Promise<void>;
  /** Reset from the board: the command goes down to the gateway; its reset event comes back onto the case. */
  reset(source: string): Promise<void>;
}

export interface StoryCast {
  readonly modbus: ModbusSimulator;
  readonly gpio: MemoryGpioPort;
  readonly gate: AccessControllerSimulator;
  /** Building 2's fire panel transmission device (GB/T 26875.3). */
  readonly panel: Gbt26875DeviceSimulator;
  readonly events: EventBus<GatewayEvents>;
  /** The township's duty officer (the demo's township centre). */
  readonly township: StoryTownship;
  /** Narration for the terminal: zh-CN first, en beside it. */
  readonly say: (text: string) => void;
}

export const DEMO_UNITS = { garageLevel: 5, riserSmoke: 6 } as const;
export const DEMO_LINES = { fireDoor: 17 } as const;
/** The panel zone the story sets on fire: 3rd-floor corridor smoke detector (system 1/1, area 3, position 12). */
export const DEMO_PANEL_ZONE = { system: { type: 1, address: 1 }, type: 42, area: 3, position: 12 } as const;
/** Sources whose cases the township's duty officer works in the story. */
const PANEL = 'b2-fire-panel';
const RISER = 'b1-riser-smoke';
const GATE = 'gate-access';

export interface Beat {
  readonly at: number; // seconds into the loop
  readonly act: (cast: StoryCast) => void | Promise<void>;
}

/** Exported for tests/scripts/demo/storyline.test.ts, which checks every narrated alarm raises and clears. */
export const STORY: readonly Beat[] = [
  { at: 3, act: (c) => c.say('剧情：2号楼消防主机报火警（3层走廊感烟）/ story: building 2 fire panel reports fire, 3rd-floor corridor') },
  { at: 3, act: (c) => c.panel.componentState(DEMO_PANEL_ZONE, COMPONENT_STATUS.fire, '3层走廊感烟') },
  { at: 5, act: (c) => c.say('剧情：街道值班员调视频确认火警，派微型消防站 / story: the duty officer confirms by video and sends the fire station') },
  { at: 5, act: (c) => c.township.confirm(PANEL, 'real', 'video') },
  { at: 6, act: (c) => c.township.dispatch(PANEL, 'fire-station') },
  { at: 9, act: (c) => c.panel.componentState(DEMO_PANEL_ZONE, COMPONENT_STATUS.normal, '3层走廊感烟') },
  { at: 10, act: (c) => c.township.handled(PANEL, '走廊垃圾桶冒烟，已扑灭 / smouldering bin in the corridor, put out') },
  { at: 12, act: (c) => c.township.reset(PANEL) },
  { at: 14, act: (c) => c.township.close(PANEL, 'real_handled') },
  { at: 15, act: (c) => c.say('剧情：地下车库坡道开始进水 / story: water starts rising on the garage ramp') },
  ...[4, 8, 12, 16, 20, 26, 32, 36].map((cm, i) => ({ at: 16 + i * 2, act: (c: StoryCast) => c.modbus.set(DEMO_UNITS.garageLevel, 'level', cm) })),
  { at: 40, act: (c) => c.township.dispatch('garage-level', 'property') },
  { at: 50, act: (c) => c.say('剧情：水泵排水，水位回落 / story: the pump drains the ramp') },
  ...[20, 8, 2].map((cm, i) => ({ at: 50 + i * 3, act: (c: StoryCast) => c.modbus.set(DEMO_UNITS.garageLevel, 'level', cm) })),
  { at: 60, act: (c) => c.modbus.set(DEMO_UNITS.garageLevel, 'level', undefined) },
  { at: 61, act: (c) => c.township.handled('garage-level', '物业开泵排水，坡道加沙袋 / pump started, sandbags on the ramp') },
  { at: 62, act: (c) => c.township.close('garage-level', 'real_handled') },
  { at: 65, act: (c) => c.say('剧情：1号楼电缆井冒烟 / story: smoke in building 1 cable riser') },
  { at: 65, act: (c) => c.modbus.set(DEMO_UNITS.riserSmoke, 'smoke_alarm', 'smoke') },
  { at: 69, act: (c) => c.township.confirm(RISER, 'real', 'phone') },
  { at: 70, act: (c) => c.township.dispatch(RISER, 'fire-station') },
  { at: 80, act: (c) => c.modbus.set(DEMO_UNITS.riserSmoke, 'smoke_alarm', undefined) },
  { at: 80, act: (c) => c.say('剧情：烟雾散去，火警保持至复位 / story: smoke gone; the fire alarm stays latched until reset') },
  { at: 85, act: (c) => c.township.handled(RISER, '电缆井接头过热冒烟，已断电 / overheated joint in the riser, power cut') },
  { at: 90, act: (c) => c.say('剧情：街道值班员在看板上复位火警 / story: the township duty officer resets the fire alarm from the board') },
  { at: 90, act: (c) => c.township.reset(RISER) },
  { at: 95, act: (c) => c.township.close(RISER, 'real_handled') },
  { at: 100, act: (c) => c.say('剧情：小区大门被强行打开 / story: the courtyard gate is forced open') },
  { at: 100, act: (c) => c.gate.event(ACS_MINOR.doorForced) },
  { at: 106, act: (c) => c.gate.event(ACS_MINOR.doorClosed) },
  { at: 108, act: (c) => c.say('剧情：大门报警无人派单，25秒后超时升级 / story: nobody dispatches the gate alarm; in 25 s it escalates') },
  { at: 112, act: (c) => c.township.reset(GATE) },
  // The prop (115–140 s) outlasts the demo config's door_held_open delay (15 s there, 3 min in the profile).
  { at: 115, act: (c) => c.say('剧情：1号楼常闭防火门被撑开 / story: building 1 fire door propped open') },
  { at: 115, act: (c) => c.gpio.setInput(DEMO_LINES.fireDoor, 1) },
  { at: 125, act: (c) => c.gate.event(ACS_MINOR.doorOpen) },
  { at: 128, act: (c) => c.gate.event(ACS_MINOR.doorClosed) },
  { at: 140, act: (c) => c.gpio.setInput(DEMO_LINES.fireDoor, 0) },
];

export const STORY_LOOP_SECONDS = 150;

/** Plays the story on a loop until stopped; each beat's failure is narrated, never fatal to the demo. */
export function playStory(cast: StoryCast): () => void {
  const timers: NodeJS.Timeout[] = [];
  const schedule = (offset: number) => {
    timers.splice(0); // every beat of the previous loop has fired by now
    for (const beat of STORY) {
      timers.push(
        setTimeout(() => {
          Promise.resolve(beat.act(cast)).catch((error: unknown) => cast.say(`demo step failed: ${String(error)}`));
        }, (offset + beat.at) * 1000),
      );
    }
    timers.push(setTimeout(() => schedule(0), (offset + STORY_LOOP_SECONDS) * 1000));
  };
  schedule(0);
  return () => timers.splice(0).forEach(clearTimeout);
}
