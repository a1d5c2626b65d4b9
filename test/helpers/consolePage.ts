/**
 * What the operator console's page shows, for its browser test. Each panel is read in one go in
 * the browser, so a refresh cannot land between two reads.
 */
import type { Page } from 'playwright-core';

export interface ShownPartner {
  /** `partner|mode`, each '' when there is none. */
  key: string;
  cells: Record<string, string>;
}

export interface ShownRefusal {
  type: string;
  label: string;
  hour: number;
  day: number;
  text: string;
}

export interface ShownDelivery {
  request_id: string;
  status: string;
  partner: string;
}

const SHOWN_PARTNERS = `[...document.querySelectorAll('[data-testid="partner-row"]')].map((row) => ({
  key: row.dataset.partner + '|' + row.dataset.mode,
  cells: Object.fromEntries([...row.querySelectorAll('[data-field]')].map((cell) => [cell.dataset.field, cell.textContent])),
}))`;
const SHOWN_REFUSALS = `[...document.querySelectorAll('[data-testid="refusal-bar"]')].map((bar) => ({
  type: bar.dataset.type,
  label: bar.querySelector('[data-field="type"]').textContent,
  hour: Number(bar.dataset.lastHour),
  day: Number(bar.dataset.lastDay),
  text: bar.querySelector('[data-field="counts"]').textContent,
}))`;
const SHOWN_DELIVERIES = `[...document.querySelectorAll('[data-testid="delivery-row"]')].map((row) => ({
  request_id: row.dataset.requestId,
  status: row.dataset.status,
  partner: row.dataset.partner,
}))`;

/** The partners table's rows, each cell by its data-field. */
export const shownPartners = (page: Page) => page.evaluate<ShownPartner[]>(SHOWN_PARTNERS);
/** The refusal chart's bars. */
export const shownRefusals = (page: Page) => page.evaluate<ShownRefusal[]>(SHOWN_REFUSALS);
/** The latest deliveries' rows, top to bottom. */
export const shownDeliveries = (page: Page) => page.evaluate<ShownDelivery[]>(SHOWN_DELIVERIES);
