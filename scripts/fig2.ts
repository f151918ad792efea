/**
 * The paper's Fig. 2 on Fashion-MNIST: per-layer log|det| of every invertible 1×1 convolution
 * over training, Glow (`glow-fashion`) against the paper's flow (`fashion-mnist-small`), same
 * data, steps, batch and learning-rate schedule. Both runs are real `flowstudio train` runs of
 * the built CLI (npm run build first); the per-layer log-dets come from their metrics.jsonl
 * (`layerLogdet`, every `--every` steps) and layers.json (names with level and block).
 *
 *   npx tsx scripts/fig2.ts [--steps 300] [--batch 16] [--lr 0.002] [--warmup 20] [--every 5]
 *                           [--out docs] [--runs <dir>]
 *
 * Writes <out>/fig2-fashion.png (left: Glow, right: the paper's flow; the change of each conv
 * layer's log-det since the first diagnostics step, level 1 in reds, level 2 in blues, darker =
 * earlier block) and <out>/fig2-fashion.json (every number docs/results.md quotes).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../src-main/data';
import { type Rgb, type Series, renderLineChart } from '../src-main/engine/experiments/plot';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const steps = flag('steps', '300');
const batch = flag('batch', '16');
const lr = flag('lr', '0.002');
const warmup = flag('warmup', '20');
const every = flag('every', '5');
const outDir = flag('out', 'docs');
const runsDir = flag('runs', mkdtempSync(join(tmpdir(), 'fig2-')));
const DATA = 'fashion-mnist:/usr/share/datasets/fashion-mnist';

interface Layer {
  name: string;
  level: number;
  block: number;
  kind: string;
}
interface Curve {
  name: string;
  level: number;
  block: number;
  points: { x: number; y: number }[];
}
interface RunResult {
  preset: string;
  initialTestBpd: number;
  testBpd: number;
  seconds: number;
  curves: Curve[];
}

function train(preset: string): RunResult {
  const dir = join(runsDir, preset);
  const started = Date.now();
  const cli = ['bin/flowstudio.js', 'train', '--preset', preset, '--data', DATA, '--steps', steps, '--batch', batch, '--lr', lr, '--warmup', warmup, '--eval-n', '500', '--set', `train.diagnosticsEvery=${every}`, '--set', 'train.evalEvery=0', '--out', dir, '--json'];
  // The common schedule: constant lr after the warm-up for both (the presets' own decays differ).
  cli.push('--set', `train.learningRate.final=${lr}`, '--set', 'train.learningRate.decayRate=1');
  const ran = spawnSync(process.execPath, cli, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (ran.status !== 0) throw new Error(`flowstudio train --preset ${preset} failed (exit ${ran.status})`);
  const summary = JSON.parse(ran.stdout.trim().split('\n').pop()!) as { initialTestBpd: number; testBpd: number };
  const layers = JSON.parse(readFileSync(join(dir, 'layers.json'), 'utf8')) as Layer[];
  const records = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; layerLogdet?: number[] });
  const curves: Curve[] = layers.flatMap((layer, i) =>
    layer.kind !== 'conv' ? [] : [{ name: layer.name, level: layer.level, block: layer.block, points: records.filter((r) => r.layerLogdet).map((r) => ({ x: r.step, y: r.layerLogdet![i]! })) }],
  );
  return { preset, initialTestBpd: summary.initialTestBpd, testBpd: summary.testBpd, seconds: (Date.now() - started) / 1000, curves };
}

/** Level 1 reds, level 2 blues, level 3 greens; darker = earlier block. */
function colour(level: number, block: number, blocks: number): Rgb {
  const t = blocks > 1 ? block / (blocks - 1) : 0;
  const shade = (dark: number, light: number): number => Math.round(dark + (light - dark) * t * 0.75);
  if (level === 0) return [shade(150, 255), shade(0, 170), shade(0, 150)];
  if (level === 1) return [shade(0, 150), shade(40, 190), shade(150, 255)];
  return [shade(0, 150), shade(110, 230), shade(0, 150)];
}

function panel(run: RunResult): { data: Uint8Array; width: number; height: number } {
  const blocks = Math.max(...run.curves.map((c) => c.block)) + 1;
  const series: Series[] = run.curves.map((c) => ({ name: c.name, color: colour(c.level, c.block, blocks), points: c.points.map((p) => ({ x: p.x, y: p.y - c.points[0]!.y })) }));
  const chart = renderLineChart(series, { width: 560, height: 400 });
  return { data: chart.data, width: chart.width, height: chart.height };
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const runs = [train('glow-fashion'), train('fashion-mnist-small')];
  const panels = runs.map(panel);
  const gap = 16;
  const width = panels[0]!.width + gap + panels[1]!.width;
  const height = Math.max(...panels.map((p) => p.height));
  const data = new Uint8Array(width * height * 3).fill(255);
  let x0 = 0;
  for (const p of panels) {
    for (let y = 0; y < p.height; y++) data.set(p.data.subarray(y * p.width * 3, (y + 1) * p.width * 3), (y * width + x0) * 3);
    x0 += p.width + gap;
  }
  const png = await encodePng({ data, shape: [height, width, 3], bits: 8 });
  writeFileSync(join(outDir, 'fig2-fashion.png'), Buffer.from(png.base64, 'base64'));
  const summary = {
    command: `npx tsx scripts/fig2.ts --steps ${steps} --batch ${batch} --lr ${lr} --warmup ${warmup} --every ${every}`,
    runs: runs.map((r) => ({
      preset: r.preset,
      initialTestBpd: r.initialTestBpd,
      testBpd: r.testBpd,
      seconds: r.seconds,
      convLogdet: r.curves.map((c) => ({ name: c.name, first: c.points[0]!.y, last: c.points[c.points.length - 1]!.y, change: c.points[c.points.length - 1]!.y - c.points[0]!.y })),
    })),
  };
  writeFileSync(join(outDir, 'fig2-fashion.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

void main();
