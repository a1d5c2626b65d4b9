/** Resolves after `ms` milliseconds: the one way tests wait. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
