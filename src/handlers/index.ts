import type { Handlers } from '../http/context';
import { getDocs, type DocsDeps } from './getDocs';
import { getLiveness } from './getLiveness';
import { getMetrics, type MetricsDeps } from './getMetrics';
import { getOpenApiJson } from './getOpenApiJson';
import { getOpenApiYaml } from './getOpenApiYaml';
import { getReadiness, type ReadinessDeps } from './getReadiness';
import { receiveAppointmentEvent, type ReceiveDeps } from './receiveAppointmentEvent';

export type HandlerDeps = ReceiveDeps & ReadinessDeps & DocsDeps & MetricsDeps;

/** Every operationId in openapi.yaml maps to exactly one handler; the type makes a missing one a compile error. */
export function operationHandlers(deps: HandlerDeps): Handlers {
  return {
    receiveAppointmentEvent: receiveAppointmentEvent(deps),
    getLiveness: getLiveness(),
    getReadiness: getReadiness(deps),
    getDocs: getDocs(deps),
    getOpenApiYaml: getOpenApiYaml(deps),
    getOpenApiJson: getOpenApiJson(deps),
    getMetrics: getMetrics(deps),
  };
}
