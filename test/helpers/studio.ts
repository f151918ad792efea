/** Helpers for end-to-end tests that drive the studio page. */
import type { Page } from 'playwright-core';

export /**
 * Waits for the run on screen to reach a state matching `pattern`. Fails at once, with the
 * UI's own words, when the studio shows a start error or an engine notice.
 */
async function waitForState(page: Page, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    for (const id of ['start-error', 'notice']) {
      const shown = page.getByTestId(id);
      if ((await shown.count()) > 0) throw new Error(`the studio reports: ${(await shown.first().textContent())?.trim()}`);
    }
    const state = page.getByTestId('run-state').first();
    if ((await state.count()) > 0) {
      last = (await state.textContent())?.trim() ?? '';
      if (pattern.test(last)) return last;
    }
    if (Date.now() > deadline) throw new Error(`run state "${last}" did not match ${pattern} within ${timeoutMs} ms`);
    await page.waitForTimeout(200);
  }
}
