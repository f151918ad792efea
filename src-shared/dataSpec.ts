/**
 * Data specs: the one-line description of a dataset accepted by the CLI (`--data`) and the
 * protocol. Grammar: `<format>:<path-or-name>[?key=value&...]`, e.g.
 *   fashion-mnist:/usr/share/datasets/fashion-mnist
 *   mnist:/data/mnist
 *   cifar10:/data/cifar-10-batches-bin
 *   imagenet32:/data/imagenet32
 *   folder:/data/celeba-hq?size=1024&bits=5
 *   toy:two-moons
 */
import { z } from 'zod';

export const ToyNameSchema = z.enum(['two-moons', '8gaussians', 'checkerboard', 'pinwheel', '2spirals', 'rings']);
export type ToyName = z.infer<typeof ToyNameSchema>;

export const DataFormatSchema = z.enum(['fashion-mnist', 'mnist', 'cifar10', 'imagenet32', 'folder', 'toy']);
export type DataFormat = z.infer<typeof DataFormatSchema>;

export interface DataSpecOptions {
  /** Target square size for image folders (centre-crop then resize). */
  size?: number;
  /** Bits per channel after quantisation. */
  bits?: number;
  /** Held-out fraction for formats without their own test split. */
  testFraction?: number;
  /** Number of points for toy datasets (train split; test is a quarter of it). */
  n?: number;
}

export type DataSpec =
  | { format: Exclude<DataFormat, 'toy'>; path: string; options: DataSpecOptions; raw: string }
  | { format: 'toy'; toy: ToyName; options: DataSpecOptions; raw: string };

const OptionsSchema = z
  .object({
    size: z.coerce.number().int().min(4).max(4096).optional(),
    bits: z.coerce.number().int().min(1).max(8).optional(),
    testFraction: z.coerce.number().gt(0).lt(1).optional(),
    n: z.coerce.number().int().min(16).max(10_000_000).optional(),
  })
  .strict();

const OPTION_KEYS = ['size', 'bits', 'testFraction', 'n'] as const satisfies readonly (keyof DataSpecOptions)[];

/** The options each format reads; any other option is reported as ignored by the loaders. */
export const FORMAT_OPTIONS: Record<DataFormat, readonly (keyof DataSpecOptions)[]> = {
  'fashion-mnist': ['bits', 'size'],
  mnist: ['bits', 'size'],
  cifar10: ['bits', 'size'],
  imagenet32: ['bits', 'size'],
  folder: ['bits', 'size', 'testFraction'],
  toy: ['n'],
};

/** The options of `spec` that its format does not read (the loaders warn about them). */
export function unusedOptions(spec: DataSpec): (keyof DataSpecOptions)[] {
  const used = FORMAT_OPTIONS[spec.format];
  return OPTION_KEYS.filter((key) => spec.options[key] !== undefined && !used.includes(key));
}

/** The three parts of a spec's text, before any of them is checked: `format:target?query`. */
interface SpecParts {
  /** Text before the first colon; null when there is no colon (or nothing before it). */
  format: string | null;
  target: string;
  /** The query with its leading `?`, or '' when there is none. */
  query: string;
}

function splitSpec(raw: string): SpecParts {
  const colon = raw.indexOf(':');
  const format = colon > 0 ? raw.slice(0, colon) : null;
  const rest = colon > 0 ? raw.slice(colon + 1) : raw;
  const q = rest.indexOf('?');
  return { format, target: q >= 0 ? rest.slice(0, q) : rest, query: q >= 0 ? rest.slice(q) : '' };
}

/**
 * The spec text with its path replaced, keeping its format and options (a folder picker
 * filling in `folder:/x?size=64`). Works on text still being typed: no format means folder.
 */
export function withDataSpecPath(raw: string, path: string): string {
  const parts = splitSpec(raw);
  return `${parts.format ?? 'folder'}:${path}${parts.query}`;
}

/** Parses a data spec, throwing an Error whose message names the problem. */
export function parseDataSpec(raw: string): DataSpec {
  const { format: formatText, target, query } = splitSpec(raw);
  if (formatText === null) {
    throw new Error(`data spec "${raw}" must look like <format>:<path>, formats: ${DataFormatSchema.options.join(', ')}`);
  }
  const format = DataFormatSchema.safeParse(formatText);
  if (!format.success) {
    throw new Error(`unknown data format "${formatText}" in "${raw}"; known: ${DataFormatSchema.options.join(', ')}`);
  }
  if (target.length === 0) throw new Error(`data spec "${raw}" has no path`);
  const entries = Object.fromEntries(new URLSearchParams(query.slice(1)).entries());
  const options = OptionsSchema.safeParse(entries);
  if (!options.success) {
    const issue = options.error.issues[0];
    throw new Error(`bad option in data spec "${raw}": ${issue?.path.join('.') || 'option'}: ${issue?.message ?? 'invalid'}`);
  }
  if (format.data === 'toy') {
    const toy = ToyNameSchema.safeParse(target);
    if (!toy.success) throw new Error(`unknown toy "${target}"; known: ${ToyNameSchema.options.join(', ')}`);
    return { format: 'toy', toy: toy.data, options: options.data, raw };
  }
  return { format: format.data, path: target, options: options.data, raw };
}
