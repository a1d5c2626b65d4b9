import type { OpenAPIBackend } from 'openapi-backend';
import { operationHandlers, type HandlerDeps } from '../../src/handlers';
import { fallbackHandlers } from '../../src/http/fallbackHandlers';
import { createApi } from '../../src/http/openapiBackend';
import { Metrics } from '../../src/metrics';
import { SPEC_PATH } from '../../src/paths';

const unused = () => Promise.reject(new Error('not used by this test'));

/** Handler dependencies that refuse to be used: for tests of the wiring, not of behaviour. */
export function unusedDeps(): HandlerDeps {
  return {
    store: { saveEvent: unused },
    testStore: { saveEvent: unused },
    starts: { claim: unused, claimFirst: () => undefined },
    pending: { record: unused, remember: unused, settle: unused, due: unused, claim: unused },
    versionKeys: {
      claim: unused,
      reassign: unused,
      beside: {
        insert: unused,
        collection: () => {
          throw new Error('not used by this test');
        },
      },
    },
    checkEvent: () => {
      throw new Error('not used by this test');
    },
    now: () => new Date(),
    pingDatabase: () => Promise.resolve(),
    published: { page: unused, spec: unused },
    metrics: new Metrics(),
    isStopping: () => false,
    reads: { list: unused, get: unused, appointmentEvents: unused },
    feed: { read: unused },
    partnerEvents: { find: unused },
    deliveries: { list: unused, summary: unused },
    activePartners: unused,
  };
}

/** The API built from openapi.yaml as the service builds it, without security or a database. */
export function specApi(): Promise<OpenAPIBackend> {
  return createApi({ definition: SPEC_PATH, handlers: operationHandlers(unusedDeps()), securityHandlers: {}, hooks: fallbackHandlers() });
}
