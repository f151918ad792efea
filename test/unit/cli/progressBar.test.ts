/** The CLI progress helper, writing to a real stream (not a terminal: plain lines). */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressBar } from '../../../src-main/cli/progressBar';

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      stream.text += chunk.toString();
      callback();
    },
  }) as Writable & { text: string; isTTY: boolean };
  stream.text = '';
  stream.isTTY = isTTY;
  return stream;
}

describe('progress bar helper', () => {
  it('prints one line per task change, at intervals, and at completion when not a terminal', () => {
    const stream = sink(false);
    const bar = createProgressBar({ stream, lineIntervalSeconds: 3600 });
    bar.onProgress({ task: 'scan', done: 10, total: null, ratePerSecond: 1000, etaSeconds: null });
    bar.onProgress({ task: 'scan', done: 20, total: null, ratePerSecond: 1000, etaSeconds: null });
    bar.onProgress({ task: 'cache', done: 5, total: 100, ratePerSecond: 12.5, etaSeconds: 7.6, message: 'a.png' });
    bar.onProgress({ task: 'cache', done: 50, total: 100, ratePerSecond: 12.5, etaSeconds: 4 });
    bar.onProgress({ task: 'cache', done: 100, total: 100, ratePerSecond: 12.5, etaSeconds: 0 });
    bar.stop();
    expect(stream.text.trim().split('\n')).toEqual(['scan: 10 (1000/s, ETA -)', 'cache: 5/100 (12.5/s, ETA 8s) a.png', 'cache: 100/100 (12.5/s, ETA 0s)']);
  });

  it('draws a cli-progress bar on a terminal', () => {
    const stream = sink(true);
    (stream as unknown as { columns: number }).columns = 120;
    (stream as unknown as { cursorTo: () => boolean }).cursorTo = () => true;
    (stream as unknown as { clearLine: () => boolean }).clearLine = () => true;
    const bar = createProgressBar({ stream });
    bar.onProgress({ task: 'cache', done: 30, total: 120, ratePerSecond: 10, etaSeconds: 9, message: 'x.jpg' });
    bar.stop();
    expect(stream.text).toContain('cache [');
    expect(stream.text).toContain('30/120');
    expect(stream.text).toContain('ETA 9s');
  });
});
