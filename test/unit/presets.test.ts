/**
 * The paper presets against App. C and Table 1 (docs/flow.md, "Presets"): every structural
 * value the paper gives, the values it leaves open as decided, and the parameter count within
 * 3 % of Table 1's.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../src-shared/presets';
import { resolveRunConfig } from '../../src-shared/config';
import { countParameters } from '../../src-main/engine/flow/parameterCount';

/** App. C, "Optimization details" (plus our documented 500-step warm-up). */
const appCSchedule = { initial: 0.01, final: 0.001, decaySteps: 1000, decayRate: 0.98, warmupSteps: 500 };

describe('paper presets (App. C, Table 1)', () => {
  it('paper-cifar10: 3 levels x 16 blocks, split 1/2, ResNet-SE hidden 128, 16 bins, batch 1024, 12.6M parameters', () => {
    const p = PRESETS['paper-cifar10'];
    const m = p.model;
    expect(m.inputShape).toEqual([32, 32, 3]);
    expect([m.levels, m.blocksPerLevel, m.splitFraction, m.firstConvKernel, m.convKernel]).toEqual([3, 16, 0.5, 2, 1]);
    expect(m.coupling).toEqual({ network: 'resnet-se', hidden: 128, mixtures: 4, seReduction: 2 });
    expect([m.activation.bins, m.activation.variant, m.activation.tailBound, m.bits, m.beta]).toEqual([16, 'paper', 1e5, 8, 0.8]);
    expect(m.ablation).toEqual({ afterCoupling: 'none', transportCost: 0, unconstrained: false });
    expect(p.train.batchSize).toBe(1024);
    expect(p.train.learningRate).toEqual(appCSchedule);
    expect(p.train.adamax).toEqual({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(p.paper).toEqual({ source: 'Table 1, CIFAR-10', bpd: 3.37, parameters: 12.6e6 });
    const n = countParameters(m).total;
    expect(n).toBe(12_448_512);
    expect(Math.abs(n / p.paper!.parameters! - 1)).toBeLessThan(0.03);
  });

  it('paper-imagenet32: the CIFAR-10 architecture (App. C); Table 1 gives it no count', () => {
    const p = PRESETS['paper-imagenet32'];
    expect(p.model).toEqual(PRESETS['paper-cifar10'].model);
    expect(p.train).toEqual(PRESETS['paper-cifar10'].train);
    expect(p.paper).toEqual({ source: 'Table 1, ImageNet 32x32', bpd: 4.03 });
    expect(countParameters(p.model).total).toBe(countParameters(PRESETS['paper-cifar10'].model).total);
  });

  it('paper-celebahq1024: 8 levels x 12 blocks, split 3/4, ConvNet hidden 256, M = 2, 5-bit, batch 4, 23.3M parameters', () => {
    const p = PRESETS['paper-celebahq1024'];
    const m = p.model;
    expect(m.inputShape).toEqual([1024, 1024, 3]);
    expect([m.levels, m.blocksPerLevel, m.splitFraction, m.firstConvKernel, m.convKernel]).toEqual([8, 12, 0.75, 2, 1]);
    expect(m.coupling).toEqual({ network: 'convnet', hidden: 256, mixtures: 2 });
    expect([m.activation.bins, m.activation.variant, m.activation.tailBound, m.bits, m.beta]).toEqual([16, 'paper', 1e5, 5, 0.8]);
    expect(m.ablation).toEqual({ afterCoupling: 'none', transportCost: 0, unconstrained: false });
    expect(p.train.batchSize).toBe(4);
    expect(p.train.learningRate).toEqual(appCSchedule);
    expect(p.paper).toEqual({ source: 'Table 1, CelebA-HQ 1024', bpd: 0.64, parameters: 23.3e6 });
    const n = countParameters(m).total;
    expect(n).toBe(23_374_080);
    expect(Math.abs(n / p.paper!.parameters! - 1)).toBeLessThan(0.03);
  });

  it('the decisions move the counts where the paper points: M = 4 would give CelebA-HQ 28.7M, SE reduction 4 CIFAR-10 10.9M', () => {
    const celeba = PRESETS['paper-celebahq1024'].model;
    expect(countParameters({ ...celeba, coupling: { ...celeba.coupling, mixtures: 4 } }).total).toBe(28_684_800);
    const cifar = PRESETS['paper-cifar10'].model;
    expect(countParameters({ ...cifar, coupling: { ...cifar.coupling, seReduction: 4 } }).total).toBe(10_869_504);
  });

  it('every preset resolves to a valid run config', () => {
    for (const name of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) {
      const config = resolveRunConfig(name);
      expect(config.model).toEqual(PRESETS[name].model);
      expect(config.train).toEqual(PRESETS[name].train);
    }
  });
});
