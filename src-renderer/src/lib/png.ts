/** Images travel as base64 PNGs (protocol `Png`); the UI shows them as data URLs. */
import type { Png } from '../../../src-shared/protocol';

export function pngUrl(png: Png): string {
  return `data:image/png;base64,${png.base64}`;
}

/** Saves a PNG through a temporary download link (works in a browser tab and in Electron). */
export function downloadPng(png: Png, fileName: string, doc: Document = document): void {
  const link = doc.createElement('a');
  link.href = pngUrl(png);
  link.download = fileName;
  link.rel = 'noopener';
  doc.body.appendChild(link);
  link.click();
  link.remove();
}
