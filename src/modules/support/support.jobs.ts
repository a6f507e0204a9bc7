import type { AppContext } from '../../http/context.ts';
import type { JobDefinition } from '../../jobs/queue.ts';
import { supportServiceFor } from './support.routes.ts';

/** Callback reminders and SLA escalations every 5 minutes; auto-close of unanswered reviews hourly. */
export function supportJobs(ctx: AppContext): JobDefinition[] {
  const support = supportServiceFor(ctx);
  return [
    {
      name: 'support-callback-reminders',
      cron: '*/5 * * * *',
      handle: async () => void (await support.remindCallbacks()),
    },
    { name: 'support-sla-scan', cron: '*/5 * * * *', handle: async () => void (await support.scanSla()) },
    { name: 'support-auto-close', cron: '7 * * * *', handle: async () => void (await support.autoClose()) },
  ];
}
