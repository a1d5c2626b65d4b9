// The operator console's element helpers and text formats. The console is one classic script
// built from the files listed in console/tsconfig.json, in order; they share one global scope.
// (ESLint reads each file alone, so a name only other files use carries a note saying which.)
// Nothing the API returns is ever parsed as markup: text goes in with textContent and DOM nodes,
// the chart is built with createElementNS.

const SVG_NS = 'http://www.w3.org/2000/svg';

function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`console page: no element [data-testid="${id}"]`);
  return found;
}

type Child = Node | string;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number> = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

function say(element: HTMLElement, text: string | null): void {
  element.textContent = text ?? '';
  show(element, text !== null && text !== '');
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
/** A local time of day, such as 14:03:27; the full instant goes in a title. */
const timeOfDay = (date: Date): string => `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
const percent = (rate: number | null): string => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);
const partnerLabel = (partner: string | null): string => partner ?? '(no key)';
