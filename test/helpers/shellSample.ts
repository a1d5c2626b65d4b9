import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SampleRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a published shell sample as a reader would: bash, in `dir`, with PATH and only the
 * variables the guide names (RECEIVER_URL and those given), bounded in time.
 */
export function runShellSample(dir: string, receiverUrl: string, source: string, env: Record<string, string>): Promise<SampleRun> {
  const file = join(dir, 'sample.sh');
  writeFileSync(file, source);
  return new Promise((resolve) => {
    execFile('bash', [file], { cwd: dir, env: { PATH: process.env.PATH ?? '', RECEIVER_URL: receiverUrl, ...env }, encoding: 'utf8', timeout: 20000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}
