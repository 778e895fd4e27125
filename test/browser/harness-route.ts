// Node side, shared by the browser tests: serves test/browser/<name> at `${origin}/__harness/<name>` with the page's
// cross-origin isolation headers (a crossOriginIsolated page's workers and module imports need them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { repoRoot } from '../helpers/data.js';

export async function routeHarness(target: BrowserContext | Page, origin: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const body = readFileSync(join(repoRoot, 'test', 'browser', name));
    await target.route(`${origin}/__harness/${name}`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/javascript',
        body,
        headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Resource-Policy': 'same-origin' },
      }),
    );
  }
}
