/** Every /v1 route of the API, in the order they are registered and documented. */
import type { RouteDefinition } from '../route.js';
import { approvalRoutes } from './approvals.js';
import { auditRoutes } from './audit.js';
import { componentRoutes } from './components.js';
import { controlRoutes } from './controls.js';
import { eventRoutes } from './events.js';
import { overviewRoutes } from './overview.js';
import { planRoutes } from './plans.js';
import { runRoutes } from './runs.js';
import { tokenRoutes } from './tokens.js';

/** The declared routes. */
export const API_ROUTES: readonly RouteDefinition[] = [
  ...overviewRoutes,
  ...runRoutes,
  ...eventRoutes,
  ...approvalRoutes,
  ...controlRoutes,
  ...planRoutes,
  ...componentRoutes,
  ...auditRoutes,
  ...tokenRoutes,
];
