import type { Handlers } from '../http/context';
import { getAppointment } from './getAppointment';
import { getDocs, type DocsDeps } from './getDocs';
import { getEvent } from './getEvent';
import { getLiveness } from './getLiveness';
import { getMetrics, type MetricsDeps } from './getMetrics';
import { getOpenApiJson } from './getOpenApiJson';
import { getOpenApiYaml } from './getOpenApiYaml';
import { getReadiness, type ReadinessDeps } from './getReadiness';
import { listEvents, type ReadDeps } from './listEvents';
import { readFeed, type FeedDeps } from './readFeed';
import { receiveAppointmentEvent, type ReceiveDeps } from './receiveAppointmentEvent';

export type HandlerDeps = ReceiveDeps & ReadinessDeps & DocsDeps & MetricsDeps & ReadDeps & FeedDeps;

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
    listEvents: listEvents(deps),
    getEvent: getEvent(deps),
    readFeed: readFeed(deps),
    getAppointment: getAppointment(deps),
  };
}
