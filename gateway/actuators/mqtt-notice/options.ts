// The mqtt-notice actuator as config sees it: retained notices for local displays on the local broker.
import { z } from 'zod';
import { alarmLevel, id } from '../../../config/sections/common.js';

/** Retained JSON per alarm on `<topicPrefix>/<alarmId>` for local displays, zh-CN and en texts. */
export const schema = z.strictObject({
  id,
  type: z.literal('mqtt-notice'),
  topicPrefix: z.string().min(1).default('lastmile/notice').describe('Notices go to <topicPrefix>/<alarmId> on the local broker'),
  levels: z.array(alarmLevel).default(['fire', 'alarm', 'fault', 'warning', 'offline']).describe('Alarm levels that get a notice'),
});
export type MqttNoticeConfig = z.infer<typeof schema>;

export const summary = 'Retained zh-CN/en alarm notices per alarm and per area on the local broker, for displays';
