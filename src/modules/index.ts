import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../http/context.ts';
import { apiKeyRoutes } from './accounts/api-keys.routes.ts';
import { authRoutes } from './accounts/auth.routes.ts';
import { userRoutes } from './accounts/users.routes.ts';
import { auditRoutes } from './audit/audit.routes.ts';
import { billingRoutes } from './billing/billing.routes.ts';
import { chipRoutes } from './chip/chip.routes.ts';
import { contractRoutes } from './contracts/contracts.routes.ts';
import { customerRoutes } from './customers/customers.routes.ts';
import { documentRoutes } from './documents/documents.routes.ts';
import { faceRoutes } from './faces/faces.routes.ts';
import { healthRoutes } from './health/health.routes.ts';
import { livenessRoutes } from './liveness/liveness.routes.ts';
import { noticeRoutes } from './notify/notify.routes.ts';
import { privacyRoutes } from './privacy/privacy.routes.ts';
import { publicApiRoutes } from './sessions/sessions.routes.ts';
import { supportRoutes } from './support/support.routes.ts';
import { webRoutes } from './web/web.routes.ts';

/** Every route module, in one list: a new module is one file and one line here. */
export const routeModules: Array<(app: FastifyInstance, ctx: AppContext) => Promise<void>> = [
  publicApiRoutes, // first: its onRoute hooks (metering, rate limit, idempotency) must see every /v1 route
  healthRoutes,
  authRoutes,
  customerRoutes,
  contractRoutes,
  apiKeyRoutes,
  userRoutes,
  auditRoutes,
  noticeRoutes,
  billingRoutes,
  faceRoutes,
  livenessRoutes,
  chipRoutes,
  privacyRoutes, // retention settings, data-subject export/erasure, consent records
  documentRoutes,
  supportRoutes,
  webRoutes,
];
