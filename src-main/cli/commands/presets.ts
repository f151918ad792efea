/**
 * `flowstudio presets [--json]`: every preset with its structure and parameter count, answered
 * by the engine's `listPresets` command (the CLI's in-process engine). Counting parameters
 * builds no model and uses no backend, so unlike the training commands this one names none.
 * Human listing on stderr; with --json one JSON array, the protocol's PresetSummary per preset,
 * as the last stdout line.
 */
import type { Command } from 'commander';
import type { PresetSummary } from '../../../src-shared/protocol';
import { CliEngine } from '../engine';
import { info, printJson } from '../output';

function millions(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${Math.round(n / 1e3)}k`;
}

function describe(p: PresetSummary): string {
  const paper = p.paper?.parameters !== undefined ? ` (paper ${millions(p.paper.parameters)}, ${((p.parameters / p.paper.parameters - 1) * 100).toFixed(1)} %)` : '';
  const se = p.seReduction !== undefined ? `, SE /${p.seReduction}` : '';
  const lr = p.learningRate;
  const published = p.paper ? `; published ${p.paper.bpd} bpd (${p.paper.source})${p.paper.note ? ` — ${p.paper.note}` : ''}` : '';
  const a = p.architecture;
  const flow =
    a === undefined || a.kind === 'paper'
      ? []
      : [a.kind === 'glow' ? `  ${a.kind}: actnorm -> ${a.permutation === 'conv' ? '1x1 conv' : a.permutation} -> ${a.coupling} coupling, ${a.splitPrior} split prior` : '  realnvp: checkerboard x3 -> squeeze -> channel-wise x3 per scale, tanh-bounded scales'];
  return [
    `${p.name}: ${millions(p.parameters)} parameters${paper}${published}`,
    ...flow,
    `  ${p.inputShape.join('x')}, ${p.levels} levels x ${p.blocksPerLevel} blocks, split ${p.splitFraction}, k ${p.firstConvKernel} then ${p.convKernel}`,
    flow.length > 0
      ? `  ${p.network} hidden ${p.hidden}, ${p.bits}-bit`
      : `  ${p.network} hidden ${p.hidden}${se}, M = ${p.mixtures}, ${p.bins} bins (${p.activationVariant}), beta ${p.beta}, ${p.bits}-bit`,
    `  batch ${p.batchSize}, lr ${lr.initial} -> ${lr.final} (x${lr.decayRate} per ${lr.decaySteps} steps), warm-up ${lr.warmupSteps} steps`,
  ].join('\n');
}

export async function runPresets(flags: { json?: boolean }): Promise<void> {
  const { presets } = await new CliEngine().invoke('listPresets', {});
  for (const p of presets) info(describe(p));
  if (flags.json) printJson(presets);
}

export function registerPresets(program: Command): void {
  program
    .command('presets')
    .description('list every preset with its structure and parameter count')
    .option('--json', 'print one JSON array (one object per preset) as the last stdout line')
    .action((flags: { json?: boolean }) => runPresets(flags));
}
