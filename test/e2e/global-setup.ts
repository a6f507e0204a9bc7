import { startShared } from './harness.ts';

/**
 * `npm test` starts one service and one Chromium for every e2e file of the run (each file still has
 * its own tenant and browser context); the files find them through the environment.
 */
let shared: Awaited<ReturnType<typeof startShared>> | undefined;

export async function globalSetup(): Promise<void> {
  shared = await startShared();
  Object.assign(process.env, shared.env);
}

export async function globalTeardown(): Promise<void> {
  await shared?.close();
}
