import { ACTIONS, CHANNELS, PRIORITIES, QUEUES, STATUSES } from './workflow.ts';

const nstr = { type: ['string', 'null'] } as const;

const slaPart = {
  type: 'object',
  properties: {
    target_hours: { type: 'number' },
    due_at: nstr,
    breached: { type: 'boolean' },
    hours: { type: ['number', 'null'] },
  },
} as const;

export const eventSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string' },
    kind: { type: 'string' },
    from_status: nstr,
    to_status: nstr,
    visibility: { type: 'string', enum: ['public', 'internal'] },
    body: nstr,
    satisfied: { type: ['boolean', 'null'] },
    actor: { type: 'object', properties: { type: { type: 'string' }, id: nstr } },
  },
} as const;

export const attachmentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    filename: { type: 'string' },
    content_type: { type: 'string' },
    size_bytes: { type: 'integer' },
    sha256: { type: 'string' },
    visibility: { type: 'string' },
    created_at: { type: 'string' },
  },
} as const;

/** A request; contact details, assignment and SLA appear for MobiFone staff only. */
export const requestSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    customer_id: nstr,
    queue: { type: 'string', enum: [...QUEUES] },
    hotline: { type: 'string' },
    category: { type: 'string' },
    priority: { type: 'string', enum: [...PRIORITIES] },
    channel: { type: 'string', enum: [...CHANNELS] },
    status: { type: 'string', enum: [...STATUSES] },
    subject: { type: 'string' },
    description: { type: 'string' },
    verification_session_id: nstr,
    reopen_count: { type: 'integer' },
    satisfied: { type: ['boolean', 'null'] },
    callback_at: nstr,
    received_at: { type: 'string' },
    first_response_at: nstr,
    resolved_at: nstr,
    closed_at: nstr,
    close_reason: nstr,
    contact_name: nstr,
    contact_phone: nstr,
    contact_email: nstr,
    assigned_to: nstr,
    sales_lead_unit_id: nstr,
    sla: {
      type: 'object',
      properties: {
        elapsed_hours: { type: 'number' },
        running: { type: 'boolean' },
        first_response: slaPart,
        resolution: slaPart,
      },
    },
    events: { type: 'array', items: eventSchema },
    attachments: { type: 'array', items: attachmentSchema },
  },
} as const;

export const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;

export const callBody = {
  type: 'object',
  properties: {
    caller_name: text(200),
    caller_phone: { type: 'string', pattern: '^\\+?[0-9 .\\-]{6,20}$' },
    caller_email: { type: 'string', format: 'email', maxLength: 254 },
    customer_id: { type: 'string', pattern: '^cus_[0-9a-z]{1,40}$' },
    choice: {
      type: 'string',
      enum: [...QUEUES],
      description:
        'consulting = product consulting (0936110116); technical = technical support and complaints (0896151617)',
    },
    category: text(60),
    priority: { type: 'string', enum: [...PRIORITIES] },
    subject: text(200),
    description: text(20_000),
  },
  required: ['caller_name', 'caller_phone', 'choice', 'category', 'description'],
  additionalProperties: false,
} as const;

export const portalBody = {
  type: 'object',
  properties: {
    queue: { type: 'string', enum: [...QUEUES] },
    category: text(60),
    priority: { type: 'string', enum: [...PRIORITIES] },
    subject: text(200),
    description: text(20_000),
    verification_session_id: { type: 'string', pattern: '^[A-Za-z0-9_\\-]{1,64}$' },
  },
  required: ['category', 'subject', 'description'],
  additionalProperties: false,
} as const;

export const transitionBody = {
  type: 'object',
  properties: {
    action: { type: 'string', enum: ACTIONS },
    note: text(5000),
    callback_at: { type: 'string', format: 'date-time' },
    resolution: { ...text(20_000), description: 'what the customer is told (required for resolve)' },
    told_customer: {
      type: 'boolean',
      description: 'phone requests: the resolution was told to the caller already (goes to awaiting_review)',
    },
  },
  required: ['action'],
  additionalProperties: false,
} as const;

export const listQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: [...STATUSES] },
    queue: { type: 'string', enum: [...QUEUES] },
    customer_id: { type: 'string', pattern: '^cus_[0-9a-z]{1,40}$' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    offset: { type: 'integer', minimum: 0, maximum: 100_000, default: 0 },
  },
  additionalProperties: false,
} as const;

export const targetSchema = {
  type: 'object',
  properties: {
    queue: { type: 'string', enum: [...QUEUES] },
    priority: { type: 'string', enum: [...PRIORITIES] },
    first_response_hours: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    resolution_hours: { type: 'number', exclusiveMinimum: 0, maximum: 5000 },
  },
  required: ['queue', 'priority', 'first_response_hours', 'resolution_hours'],
  additionalProperties: false,
} as const;

export const settingsSchema = {
  type: 'object',
  properties: {
    auto_close_working_days: { type: 'integer', minimum: 1, maximum: 60 },
    callback_reminder_minutes: { type: 'integer', minimum: 1, maximum: 1440 },
    escalation_email: { type: 'string', format: 'email', maxLength: 254 },
  },
  additionalProperties: false,
} as const;
