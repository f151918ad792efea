/**
 * The run-configuration form as data: which fields exist, how text in an input becomes a
 * config value, and validation with the same schemas the engine applies (RunConfigSchema,
 * checkModelShape), so errors show next to the field before anything is sent.
 */
import {
  ActivationVariantSchema,
  AfterCouplingSchema,
  CouplingNetworkSchema,
  type PresetName,
  type RunConfig,
  RunConfigSchema,
  type RunOverrides,
  RunOverridesSchema,
  checkModelShape,
} from '../../../src-shared/config';
import { parseDataSpec } from '../../../src-shared/dataSpec';
import { PRESETS } from '../../../src-shared/presets';

export type FieldKind = 'int' | 'number' | 'bool' | 'select';
export type FieldGroup = 'architecture' | 'coupling' | 'training' | 'ablation' | 'schedule';

export interface FieldDef {
  /** Dotted path into the run config, e.g. `model.coupling.hidden`. */
  key: string;
  label: string;
  kind: FieldKind;
  group: FieldGroup;
  options?: readonly string[];
  step?: number;
  help?: string;
}

export const FIELD_GROUPS: { id: FieldGroup; title: string; advanced: boolean }[] = [
  { id: 'architecture', title: 'Architecture', advanced: false },
  { id: 'coupling', title: 'Coupling and activation', advanced: false },
  { id: 'training', title: 'Training', advanced: false },
  { id: 'ablation', title: 'Ablation (Sec. 6.2)', advanced: false },
  { id: 'schedule', title: 'Schedule and diagnostics', advanced: true },
];

export const FIELDS: readonly FieldDef[] = [
  { key: 'model.levels', label: 'Levels L', kind: 'int', group: 'architecture', help: 'multi-scale levels' },
  { key: 'model.blocksPerLevel', label: 'Blocks per level B', kind: 'int', group: 'architecture' },
  { key: 'model.splitFraction', label: 'Split fraction', kind: 'number', group: 'architecture', step: 0.05, help: 'dimensions factored out after each level' },
  { key: 'model.firstConvKernel', label: 'Opening conv kernel k', kind: 'int', group: 'architecture', help: 'squeeze by k fused with the invertible conv' },
  { key: 'model.convKernel', label: 'Block conv kernel', kind: 'int', group: 'architecture' },
  { key: 'model.beta', label: 'β (volume-preserving init)', kind: 'number', group: 'architecture', step: 0.05, help: 'Eq. 18, advised 0.5–1' },
  { key: 'model.bits', label: 'Bits per channel', kind: 'int', group: 'architecture' },
  { key: 'model.coupling.network', label: 'Coupling network', kind: 'select', group: 'coupling', options: CouplingNetworkSchema.options },
  { key: 'model.coupling.hidden', label: 'Hidden width', kind: 'int', group: 'coupling' },
  { key: 'model.coupling.mixtures', label: 'Mexican-hat mixtures M', kind: 'int', group: 'coupling' },
  { key: 'model.activation.variant', label: 'Activation variant', kind: 'select', group: 'coupling', options: ActivationVariantSchema.options, help: 'strict keeps f′ ≤ 1' },
  { key: 'model.activation.bins', label: 'Spline bins', kind: 'int', group: 'coupling' },
  { key: 'train.steps', label: 'Steps', kind: 'int', group: 'training' },
  { key: 'train.batchSize', label: 'Batch size', kind: 'int', group: 'training' },
  { key: 'train.learningRate.initial', label: 'Learning rate', kind: 'number', group: 'training', step: 0.001 },
  {
    key: 'train.learningRate.warmupSteps',
    label: 'Warm-up steps',
    kind: 'int',
    group: 'training',
    help: 'linear learning-rate ramp from 0 (not in the paper: lr 0.01 from step 1 diverges, docs/flow.md); 0 for none',
  },
  { key: 'train.seed', label: 'Seed', kind: 'int', group: 'training' },
  { key: 'model.ablation.afterCoupling', label: 'Squash after coupling', kind: 'select', group: 'ablation', options: AfterCouplingSchema.options },
  { key: 'model.ablation.transportCost', label: 'L2 transport cost', kind: 'number', group: 'ablation', step: 0.01 },
  { key: 'model.ablation.unconstrained', label: 'No constraints (expected to collapse)', kind: 'bool', group: 'ablation' },
  { key: 'train.learningRate.final', label: 'Final learning rate', kind: 'number', group: 'schedule', step: 0.0001 },
  { key: 'train.learningRate.decaySteps', label: 'Decay steps', kind: 'int', group: 'schedule' },
  { key: 'train.learningRate.decayRate', label: 'Decay rate', kind: 'number', group: 'schedule', step: 0.01 },
  { key: 'train.evalEvery', label: 'Evaluate every (steps)', kind: 'int', group: 'schedule' },
  { key: 'train.evalN', label: 'Test examples per evaluation', kind: 'int', group: 'schedule' },
  { key: 'train.diagnosticsEvery', label: 'Layer diagnostics every (steps)', kind: 'int', group: 'schedule' },
  { key: 'train.checkpointEvery', label: 'Checkpoint every (steps)', kind: 'int', group: 'schedule' },
];

export type FormValues = Record<string, string | boolean>;

type Tree = Record<string, unknown>;

function getPath(tree: Tree, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Tree)[part] : undefined), tree);
}

function setPath(tree: Tree, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

/** The form's text values for a preset. */
export function valuesFromPreset(preset: PresetName): FormValues {
  const { model, train } = PRESETS[preset];
  return valuesFromConfig({ model, train });
}

/** The form's text values for a run's config ("new run from this run's settings"). */
export function valuesFromConfig(config: Pick<RunConfig, 'model' | 'train'>): FormValues {
  const tree: Tree = { model: config.model, train: config.train };
  const values: FormValues = {};
  for (const field of FIELDS) {
    const value = getPath(tree, field.key);
    values[field.key] = field.kind === 'bool' ? Boolean(value) : String(value);
  }
  return values;
}

/** Reads one input: a value, or the reason it is not one. */
export function parseField(field: FieldDef, raw: string | boolean): { value: unknown } | { error: string } {
  if (field.kind === 'bool') return { value: Boolean(raw) };
  const text = String(raw).trim();
  if (field.kind === 'select') {
    return field.options?.includes(text) ? { value: text } : { error: `choose one of ${field.options?.join(', ')}` };
  }
  if (text === '') return { error: 'required' };
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: 'not a number' };
  if (field.kind === 'int' && !Number.isInteger(value)) return { error: 'must be a whole number' };
  return { value };
}

export interface FormValidation {
  /** Field key → message. `data` for the data spec. */
  fieldErrors: Record<string, string>;
  /** Problems that belong to no single field (shape arithmetic). */
  problems: string[];
  /** The full config the engine would run (when valid). */
  config: RunConfig | null;
  /** What to send: the fields that differ from the preset, plus the data spec. */
  overrides: RunOverrides | null;
}

/** Plain words for zod's issue messages ("Too small: expected number to be >=1"). */
function tidy(message: string): string {
  return message.replace(/^Too small: expected number to be /, 'must be ').replace(/^Too big: expected number to be /, 'must be ').replace(/^Invalid input: /, '');
}

/**
 * Validates the form. `inputShape` comes from the dataset preview when known, so the shape
 * arithmetic is checked against the real data rather than the preset's default.
 */
export function validateForm(preset: PresetName, data: string, values: FormValues, inputShape?: readonly number[]): FormValidation {
  const base = PRESETS[preset];
  const fieldErrors: Record<string, string> = {};
  const problems: string[] = [];
  const candidate: Tree = { preset, data: data.trim(), model: structuredClone(base.model), train: structuredClone(base.train) };
  const overrides: Tree = { data: data.trim() };

  try {
    const spec = parseDataSpec(data.trim());
    const vectorModel = (inputShape ?? base.model.inputShape).length === 1;
    if (spec.format === 'toy' && !vectorModel) fieldErrors['data'] = '2-D toy data needs the toy2d preset';
    if (spec.format !== 'toy' && preset === 'toy2d') fieldErrors['data'] = 'the toy2d preset trains on toy:<name> data';
  } catch (error) {
    fieldErrors['data'] = (error as Error).message;
  }
  if (inputShape && inputShape.length > 0) {
    setPath(candidate, 'model.inputShape', [...inputShape]);
    if (inputShape.join('x') !== base.model.inputShape.join('x')) setPath(overrides, 'model.inputShape', [...inputShape]);
  }
  for (const field of FIELDS) {
    const parsed = parseField(field, values[field.key] ?? '');
    if ('error' in parsed) {
      fieldErrors[field.key] = parsed.error;
      continue;
    }
    setPath(candidate, field.key, parsed.value);
    if (parsed.value !== getPath({ model: base.model, train: base.train }, field.key)) setPath(overrides, field.key, parsed.value);
  }

  const full = RunConfigSchema.safeParse(candidate);
  if (!full.success) {
    for (const issue of full.error.issues) {
      const key = issue.path.join('.');
      if (FIELDS.some((f) => f.key === key) || key === 'data') fieldErrors[key] ??= tidy(issue.message);
      else problems.push(`${key || 'config'}: ${tidy(issue.message)}`);
    }
  }
  if (Object.keys(fieldErrors).length > 0 || !full.success) return { fieldErrors, problems, config: null, overrides: null };

  problems.push(...checkModelShape(full.data.model));
  const checked = RunOverridesSchema.safeParse(overrides);
  if (!checked.success) problems.push(...checked.error.issues.map((i) => `${i.path.join('.')}: ${tidy(i.message)}`));
  const ok = problems.length === 0 && checked.success;
  return { fieldErrors, problems, config: ok ? full.data : null, overrides: ok ? checked.data : null };
}

/** A parameter count as the picker shows it: `12.45M`, `236k`, `980`. */
export function formatParameterCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return String(n);
}

/** The line under the preset picker: our count, and Table 1's beside it where the paper gives one. */
export function presetCountLine(summary: { parameters: number; paper?: { source: string; parameters?: number | undefined } | undefined }): string {
  const ours = `${formatParameterCount(summary.parameters)} parameters`;
  const paper = summary.paper?.parameters;
  return paper === undefined ? ours : `${ours} (${summary.paper!.source}: ${formatParameterCount(paper)})`;
}
