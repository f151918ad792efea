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

/**
 * Table 1's other systems (issue 14; docs/baselines.md): each baseline's structure as its own
 * paper gives it, the bpd Table 1 reports, and the parameter count within 3 % of Table 1's or a
 * documented reason.
 */
describe('baseline presets (Table 1: RealNVP, Glow, RQ-NSF)', () => {
  it('glow-cifar10: 3 levels x 32 steps of actnorm -> 1x1 conv -> affine coupling, hidden 512, learned split prior; 43.95M vs 44.0M', () => {
    const p = PRESETS['glow-cifar10'];
    const m = p.model;
    expect(m.architecture).toEqual({ kind: 'glow', permutation: 'conv', coupling: 'affine', splitPrior: 'learned' });
    expect(m.inputShape).toEqual([32, 32, 3]);
    expect([m.levels, m.blocksPerLevel, m.splitFraction, m.firstConvKernel, m.convKernel]).toEqual([3, 32, 0.5, 2, 1]);
    expect(m.coupling).toEqual({ network: 'convnet', hidden: 512, mixtures: 1 });
    expect(p.paper).toEqual({ source: 'Table 1, CIFAR-10 (Glow, Kingma & Dhariwal 2018)', bpd: 3.35, parameters: 44.0e6 });
    const n = countParameters(m).total;
    expect(n).toBe(43_954_416);
    expect(Math.abs(n / p.paper!.parameters! - 1)).toBeLessThan(0.03);
  });

  it("glow-256: glow-cifar10 with 256 hidden units (the paper's Fig. 2)", () => {
    const m = PRESETS['glow-256'].model;
    expect(m).toEqual({ ...PRESETS['glow-cifar10'].model, coupling: { network: 'convnet', hidden: 256, mixtures: 1 } });
    expect(countParameters(m).total).toBe(15_741_168);
  });

  it('nsf-cifar10: Glow structure, 3 levels x 7 steps, RQ splines K = 8 on [-3, 3], ResNet 3 x 96; 11.17M vs 11.8M (-5.3 %, documented: no unconditional spline on the identity half)', () => {
    const p = PRESETS['nsf-cifar10'];
    const m = p.model;
    expect(m.architecture).toEqual({ kind: 'glow', permutation: 'conv', coupling: 'spline', splitPrior: 'standard', bins: 8, tailBound: 3 });
    expect([m.levels, m.blocksPerLevel, m.splitFraction, m.firstConvKernel, m.convKernel]).toEqual([3, 7, 0.5, 2, 1]);
    expect(m.coupling).toEqual({ network: 'resnet', hidden: 96, mixtures: 1, resBlocks: 3 });
    expect(p.paper).toEqual({ source: 'Table 1, CIFAR-10 (RQ-NSF (C), Durkan et al. 2019)', bpd: 3.38, parameters: 11.8e6 });
    const n = countParameters(m).total;
    expect(n).toBe(11_172_126);
    // The documented gap: nflows' `apply_unconditional_transform` adds an elementwise spline with
    // 3K − 1 parameters per identity-half element, Σ_levels 7·(c/2)·h·w·23 = 433 k; with it the
    // count would be within 2 % (11.61M).
    const unconditional = 7 * 23 * (6 * 16 * 16 + 12 * 8 * 8 + 24 * 4 * 4);
    expect(unconditional).toBe(432_768);
    expect(Math.abs((n + unconditional) / p.paper!.parameters! - 1)).toBeLessThan(0.03);
  });

  it('realnvp-cifar10: one scale (3 checkerboard, squeeze, 3 channel-wise) then 4 checkerboard, ResNet 8 x 64; Table 1 gives no count', () => {
    const p = PRESETS['realnvp-cifar10'];
    const m = p.model;
    expect(m.architecture).toEqual({ kind: 'realnvp' });
    expect([m.levels, m.blocksPerLevel, m.splitFraction, m.firstConvKernel]).toEqual([2, 1, 0.5, 2]);
    expect(m.coupling).toEqual({ network: 'resnet', hidden: 64, mixtures: 1, resBlocks: 8 });
    expect(p.paper?.bpd).toBe(3.49);
    expect(p.paper?.parameters).toBeUndefined();
    expect(p.paper?.note).toMatch(/no parameter count/);
    expect(countParameters(m).total).toBe(5_919_065);
  });

  it('every baseline resolves to a valid run config, and the small ones are small', () => {
    for (const name of ['glow-cifar10', 'glow-256', 'realnvp-cifar10', 'nsf-cifar10', 'glow-fashion', 'nsf-fashion', 'realnvp-fashion', 'toy2d-glow', 'toy2d-additive', 'toy2d-nsf', 'toy2d-realnvp'] as const) {
      const config = resolveRunConfig(name);
      expect(config.model.architecture?.kind).not.toBe('paper');
      if (name.endsWith('fashion') || name.startsWith('toy2d')) expect(countParameters(config.model).total).toBeLessThan(400_000);
    }
  });

  it('refuses the Sec. 6.2 ablation on a baseline, naming it', () => {
    expect(() => resolveRunConfig('glow-fashion', { model: { ablation: { afterCoupling: 'tanh' } } })).toThrow(/ablation applies to the paper's flow only, not to the glow architecture/);
  });
});
