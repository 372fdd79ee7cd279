import { dashboardRoutes } from '../dashboard/index.ts';
import type { ApiDeps } from '../deps.ts';
import type { Route } from '../router.ts';
import { dataSourceRoutes } from './data-sources.ts';
import { dispatchRoutes } from './dispatch.ts';
import { entityRoutes } from './entities.ts';
import { fhirRoutes } from './fhir.ts';
import { pipelineRoutes } from './pipeline.ts';
import { reviewRoutes } from './review.ts';
import { worldEventRoutes } from './world-events.ts';

/** Every route of the api. Each route file returns its routes; each route names the roles it allows. */
export function allRoutes(deps: ApiDeps): Route[] {
  return [
    ...entityRoutes(deps),
    ...worldEventRoutes(deps),
    ...reviewRoutes(deps),
    ...dataSourceRoutes(deps),
    ...fhirRoutes(deps),
    ...dispatchRoutes(deps),
    ...pipelineRoutes(deps),
    ...dashboardRoutes(),
  ];
}
