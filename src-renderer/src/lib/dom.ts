/**
 * DOM helpers for components. They live in a .ts file because the lint setup checks names in
 * .vue files with `no-undef`, which does not know the DOM's type names.
 */
export type CanvasElement = HTMLCanvasElement;
export type KeyEvent = KeyboardEvent;
export type DomEvent = Event;

/** The value of the input, select or textarea an event came from. */
export function eventValue(event: Event): string {
  const target = event.target as HTMLInputElement | HTMLSelectElement | null;
  return target?.value ?? '';
}

export function eventChecked(event: Event): boolean {
  return Boolean((event.target as HTMLInputElement | null)?.checked);
}

/** A CSS custom property of an element, or the fallback when unset. */
export function cssVar(element: Element, name: string, fallback: string): string {
  return getComputedStyle(element).getPropertyValue(name).trim() || fallback;
}
