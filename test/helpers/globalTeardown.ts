import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const test = globalThis.testDatabase;
  if (!test) return;
  await test.db.stop();
  rmSync(test.dir, { recursive: true, force: true });
}
