import type { AppContext } from '../http/context.ts';
import { billingJobs } from '../modules/billing/billing.routes.ts';
import { contractJobs } from '../modules/contracts/contracts.routes.ts';
import { privacyJobs } from '../modules/privacy/privacy.routes.ts';
import { publicApiJobs } from '../modules/sessions/sessions.routes.ts';
import { supportJobs } from '../modules/support/support.jobs.ts';
import type { JobDefinition } from './queue.ts';

/** Every background job, in one list: a module adds its jobs here. */
export function jobDefinitions(ctx: AppContext): JobDefinition[] {
  return [
    {
      name: 'notices-deliver',
      cron: '* * * * *',
      handle: async () => {
        await ctx.notifier.deliverPending();
      },
    },
    ...supportJobs(ctx), // callback reminders and SLA escalation every 5 min, auto-close hourly
    ...billingJobs(ctx), // monthly run 00:05 on the 1st (local), drafts auto-finalize hourly
    ...publicApiJobs(ctx), // session processing and expiry, webhook delivery, idempotency purge
    ...privacyJobs(ctx), // daily 01:30: image/result retention per customer, crypto-shred terminated customers
    { name: 'contracts-daily', cron: '5 0 * * *', handle: contractJobs(ctx).daily },
    { name: 'contracts-escalate', cron: '*/15 * * * *', handle: contractJobs(ctx).escalate },
  ];
}
