import type { Handlers } from '../http/context';
import { getAppointment } from './getAppointment';
import { getConsole } from './getConsole';
import { getConsoleAsset } from './getConsoleAsset';
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
import { receiveFhirAppointment } from './receiveFhirAppointment';
import { receiveHl7v2Message } from './receiveHl7v2Message';
import type { MessageDeps } from './messageEvents';
import { findPartnerEvent } from './findPartnerEvent';
import { getOperatorAppointment } from './getOperatorAppointment';
import { getOperatorEvent } from './getOperatorEvent';
import { getOperatorSummary, type SummaryDeps } from './getOperatorSummary';
import { getPartnerEvent, type PartnerEventDeps } from './getPartnerEvent';
import { listDeliveries } from './listDeliveries';
import { listOperatorDeliveries } from './listOperatorDeliveries';

export type HandlerDeps = ReceiveDeps & MessageDeps & ReadinessDeps & DocsDeps & MetricsDeps & ReadDeps & FeedDeps & PartnerEventDeps & SummaryDeps;

/** Every operationId in openapi.yaml maps to exactly one handler; the type makes a missing one a compile error. */
export function operationHandlers(deps: HandlerDeps): Handlers {
  return {
    receiveAppointmentEvent: receiveAppointmentEvent(deps),
    receiveHl7v2Message: receiveHl7v2Message(deps),
    receiveFhirAppointment: receiveFhirAppointment(deps),
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
    listDeliveries: listDeliveries(deps),
    getPartnerEvent: getPartnerEvent(deps),
    findPartnerEvent: findPartnerEvent(deps),
    getOperatorSummary: getOperatorSummary(deps),
    listOperatorDeliveries: listOperatorDeliveries(deps),
    getOperatorEvent: getOperatorEvent(deps),
    getOperatorAppointment: getOperatorAppointment(deps),
    getConsole: getConsole(),
    getConsoleAsset: getConsoleAsset(),
  };
}
