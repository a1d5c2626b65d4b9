import type { ServerResponse } from 'node:http';

/**
 * Runs `done` once per request, when it is over: when its reply has been sent, or, for a reply
 * cut short (the client left, the connection was closed; Node then never says it finished), once
 * its handling (`handled`) is over too, so it is still logged and recorded with the status it got.
 */
export function whenOver(res: ServerResponse, handled: Promise<void>, done: () => void): void {
  let over = false;
  const end = () => {
    if (over) return;
    over = true;
    done();
  };
  res.on('finish', end);
  res.on('close', () => void handled.then(end));
}
