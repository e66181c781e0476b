// Config of the township workflow (the `workflow` section): per-level policy over the defaults in
// policy.ts, the grouping window, staff and the duty roster (escalation order), routing to channels.
import { z } from 'zod';
import { ALARM_LEVELS } from '../../contract/vocabulary.js';

const seconds = z.number().int().min(0).max(7 * 24 * 3600);
const staffName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . and -');

const levelPolicy = z.strictObject({
  confirm: z.boolean().optional().describe('Confirm (real / false alarm / test, by phone / video / patrol) before dispatch; fire: true'),
  confirmWithinS: seconds.optional().describe('Seconds to confirm (fire: 180); 0 = no limit'),
  dispatchWithinS: seconds.optional().describe('Seconds to dispatch after opening or confirming'),
  handleWithinS: seconds.optional().describe('Seconds from dispatch to handled on site (fire: 900)'),
  notifyAtRaise: z.boolean().optional().describe('Notify the channels when the case opens (fire and alarm: true)'),
  channels: z.array(z.string().min(1)).optional().describe('Channel names (notify.channels) for this level, in order'),
});

const staffMember = z.strictObject({
  name: staffName.describe('Console user name for officers; any id for responders'),
  township: z.string().min(1),
  displayName: z.string().min(1),
  phone: z.string().regex(/^\+?[0-9]{5,20}$/).optional().describe('For @-mentions in robots and SMS'),
  team: z.string().min(1).optional().describe('e.g. 微型消防站, 网格, 物业'),
  role: z.enum(['officer', 'responder', 'leader']).default('officer').describe('leader = township leader, the last step of escalation'),
});

export const workflowSection = z
  .strictObject({
    groupWindowS: seconds.default(300).describe("One source's alarms raised within this window of the last raise join one case"),
    flood: z
      .strictObject({
        maxNewCasesPerGateway: z.number().int().min(1).max(10_000).default(20).describe('Cases one gateway may open within windowS; past it its new alarms join one flood case, counted'),
        windowS: z.number().int().min(1).max(24 * 3600).default(60),
      })
      .default({ maxNewCasesPerGateway: 20, windowS: 60 })
      .describe('Alarm flood from one gateway: a few cases, then one grouped case, so other gateways stay visible and nobody is notified 3,000 times'),
    checkEveryMs: z.number().int().min(100).max(60_000).default(1000).describe('How often deadlines and notification retries are checked'),
    levels: z.partialRecord(z.enum(ALARM_LEVELS), levelPolicy).default({}),
    staff: z.array(staffMember).default([]),
    roster: z.record(z.string(), z.array(staffName)).default({}).describe('Per township: the duty roster in escalation order (first = on duty)'),
  })
  .default({ groupWindowS: 300, flood: { maxNewCasesPerGateway: 20, windowS: 60 }, checkEveryMs: 1000, levels: {}, staff: [], roster: {} });
export type WorkflowOptions = z.infer<typeof workflowSection>;
