/** `flowstudio presets --json` as a user runs it: a real subprocess of the built CLI. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PresetSummarySchema } from '../../src-shared/protocol';
import { PRESETS } from '../../src-shared/presets';
import { createFlowModel } from '../../src-main/engine/flow/model';
import { initBackend } from '../../src-main/engine/backend';
import { BIN } from '../helpers/cliProcess';

describe('flowstudio presets', () => {
  it('lists every preset with its structure and a parameter count equal to the built model', async () => {
    const ran = spawnSync(process.execPath, [BIN, 'presets', '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(ran.status, ran.stderr).toBe(0);
    const list = (JSON.parse(ran.stdout.trim().split('\n').pop()!) as unknown[]).map((p) => PresetSummarySchema.parse(p));
    expect(list.map((p) => p.name)).toEqual(Object.keys(PRESETS));
    const cifar = list.find((p) => p.name === 'paper-cifar10')!;
    expect(cifar).toMatchObject({ parameters: 12_448_512, levels: 3, blocksPerLevel: 16, splitFraction: 0.5, network: 'resnet-se', hidden: 128, mixtures: 4, seReduction: 2, bins: 16, batchSize: 1024 });
    expect(cifar.paper).toEqual({ source: 'Table 1, CIFAR-10', bpd: 3.37, parameters: 12.6e6 });
    // The human listing on stderr names the count and the paper's.
    expect(ran.stderr).toContain('paper-cifar10: 12.45M parameters (paper 12.60M, -1.2 %)');
    expect(ran.stderr).toContain('paper-celebahq1024: 23.37M parameters (paper 23.30M, 0.3 %)');
    // Table 1's other systems beside their published bpd and count (issue 14).
    expect(ran.stderr).toContain('glow-cifar10: 43.95M parameters (paper 44.00M, -0.1 %); published 3.35 bpd');
    expect(ran.stderr).toContain('nsf-cifar10: 11.17M parameters (paper 11.80M, -5.3 %); published 3.38 bpd');
    expect(ran.stderr).toMatch(/realnvp-cifar10: 5\.92M parameters; published 3\.49 bpd .* no parameter count/);
    expect(ran.stderr).toContain('glow: actnorm -> 1x1 conv -> affine coupling, learned split prior');
    expect(list.find((p) => p.name === 'glow-fashion')!.architecture).toEqual({ kind: 'glow', permutation: 'conv', coupling: 'affine', splitPrior: 'learned' });
    // Independent of the count's arithmetic: the sizes of a real model's variables.
    await initBackend('cpu');
    const fm = list.find((p) => p.name === 'fashion-mnist-small')!;
    const model = createFlowModel(PRESETS['fashion-mnist-small'].model, { seed: 0 });
    expect(fm.parameters).toBe(model.variables.reduce((s, v) => s + v.size, 0));
    model.dispose();
  }, 120_000);
});
