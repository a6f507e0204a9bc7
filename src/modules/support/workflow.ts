/**
 * The seed's support process (§5) as states. Pure rules: no database, no clock.
 *
 * received → in_progress → callback_scheduled → in_progress → resolved → awaiting_review → closed
 * awaiting_review → reopened (not satisfied, counts a reopen) → in_progress
 * waiting_customer pauses the SLA like a scheduled callback does.
 */
export const STATUSES = [
  'received',
  'in_progress',
  'waiting_customer',
  'callback_scheduled',
  'resolved',
  'awaiting_review',
  'reopened',
  'closed',
] as const;
export type Status = (typeof STATUSES)[number];

export const QUEUES = ['consulting', 'technical'] as const;
export type Queue = (typeof QUEUES)[number];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const CHANNELS = ['phone', 'portal', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The two hotlines of the seed: product consulting, and technical support and complaints. */
export const HOTLINES: Record<Queue, string> = { consulting: '0936110116', technical: '0896151617' };

/** The staff actions that move a request, and where each may start from. */
export const TRANSITIONS = {
  start: { from: ['received', 'reopened', 'waiting_customer', 'callback_scheduled'], to: 'in_progress' },
  wait_customer: { from: ['received', 'in_progress', 'reopened'], to: 'waiting_customer' },
  schedule_callback: {
    from: ['received', 'in_progress', 'reopened', 'waiting_customer', 'callback_scheduled'],
    to: 'callback_scheduled',
  },
  resolve: {
    from: ['received', 'in_progress', 'waiting_customer', 'callback_scheduled', 'reopened'],
    to: 'resolved',
  },
  notified: { from: ['resolved'], to: 'awaiting_review' },
  cancel: { from: ['received', 'in_progress', 'waiting_customer', 'callback_scheduled'], to: 'closed' },
} as const satisfies Record<string, { from: readonly Status[]; to: Status }>;
export type Action = keyof typeof TRANSITIONS;
export const ACTIONS = Object.keys(TRANSITIONS) as Action[];

export function canTransition(action: Action, from: Status): boolean {
  return (TRANSITIONS[action].from as readonly Status[]).includes(from);
}

/** States in which the SLA clock runs; every other state pauses it (customer, callback, review, done). */
export const SLA_RUNNING: ReadonlySet<Status> = new Set(['received', 'in_progress', 'reopened']);

/** States that still need work from MobiFone (not resolved, not closed). */
export const OPEN_STATES: readonly Status[] = [
  'received',
  'in_progress',
  'waiting_customer',
  'callback_scheduled',
  'reopened',
];

/** Counts as the first response: the customer heard back from a person. */
export const FIRST_RESPONSE_ACTIONS: ReadonlySet<string> = new Set([
  'wait_customer',
  'schedule_callback',
  'resolve',
  'reply',
]);

/** Product consulting words (Vietnamese and English) send an email to the consulting queue. */
export function queueFromText(text: string): Queue {
  const t = text.normalize('NFC').toLowerCase();
  return /(tư vấn|tu van|báo giá|bao gia|bảng giá|giá cước|demo sản phẩm|consult|pricing|quotation|price list)/.test(
    t,
  )
    ? 'consulting'
    : 'technical';
}
