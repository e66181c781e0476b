// Layout checks for pages in headless Chromium (the township's views and console, the gateway's
// installer console): what a screenshot would show wrong, asserted instead of looked at.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** No horizontal overflow: the page is as wide as the viewport, nothing sticks out sideways. */
export async function expectNoHorizontalOverflow(page: Page, what: string): Promise<void> {
  // Runs in the page (the test's tsconfig has no DOM types).
  const { scrollWidth, clientWidth } = await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })') as { scrollWidth: number; clientWidth: number };
  expect(scrollWidth, `${what}: document scrollWidth ${scrollWidth} > clientWidth ${clientWidth}`).toBeLessThanOrEqual(clientWidth);
}

/** The element is visible and lies within the viewport's width. */
export async function expectVisibleWithin(page: Page, selector: string, width: number): Promise<void> {
  const box = await page.locator(selector).first().boundingBox();
  expect(box, `${selector} is not visible`).not.toBeNull();
  expect(await page.locator(selector).first().isVisible(), `${selector} is hidden`).toBe(true);
  expect(box!.x, `${selector} starts left of the viewport`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${selector} ends past ${width} px`).toBeLessThanOrEqual(width + 0.5);
}

/** The elements' boxes do not overlap one another (panels drawn over each other, a title over a table). */
export async function expectNoOverlap(page: Page, selectors: readonly string[]): Promise<void> {
  const boxes = await Promise.all(selectors.map(async (selector) => ({ selector, box: await page.locator(selector).first().boundingBox() })));
  for (const { selector, box } of boxes) expect(box, `${selector} is not visible`).not.toBeNull();
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!.box!;
      const b = boxes[j]!.box!;
      // Shared edges are fine; a pixel of overlap from rounding is not an overlap.
      const overlapX = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const overlapY = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      expect(overlapX > 1 && overlapY > 1, `${boxes[i]!.selector} overlaps ${boxes[j]!.selector}`).toBe(false);
    }
  }
}
