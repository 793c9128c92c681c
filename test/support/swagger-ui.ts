import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { SCREENSHOTS } from './browser';

/** Swagger UI names each operation block `operations-<tag>-<operationId>`. */
export async function openOperation(
  page: Page,
  tag: string,
  operationId: string,
): Promise<Locator> {
  const block = page.locator(`#operations-${tag}-${operationId}`);
  await block.locator('.opblock-summary').first().click();
  await block.getByRole('button', { name: 'Try it out' }).click();
  return block;
}

export async function fillParameter(block: Locator, name: string, value: string): Promise<void> {
  await block.locator(`tr[data-param-name="${name}"] input`).fill(value);
}

export async function fillBody(block: Locator, body: object): Promise<void> {
  await block.locator('textarea.body-param__text').fill(JSON.stringify(body));
}

/** Execute, then read the status and body from the live response panel, as a person would. */
export async function execute(
  page: Page,
  block: Locator,
  step: string,
  timeoutMs = 15_000,
): Promise<{ status: number; body: string; url: string }> {
  await block.getByRole('button', { name: 'Execute' }).click();
  const live = block.locator('.live-responses-table .response');
  await live.first().waitFor({ timeout: timeoutMs });
  const status = Number((await live.locator('.response-col_status').first().innerText()).trim());
  const body = await live.locator('.response-col_description pre').first().innerText();
  const url = await block.locator('.request-url pre').first().innerText();
  await block.screenshot({ path: join(SCREENSHOTS, `${step}.png`) });
  return { status, body, url };
}

/** The padlock dialog: paste the bearer token, Authorize, Close. */
export async function authorize(page: Page, token: string): Promise<void> {
  await page.locator('.scheme-container button.authorize').click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.locator('input').first().fill(token);
  await dialog.locator('button.modal-btn.authorize').click();
  await dialog.locator('button.modal-btn.auth-btn-done, button.btn-done').first().click();
  await dialog.waitFor({ state: 'detached' });
}
