/**
 * Generic `path=value` settings over a run's config (`model.blocksPerLevel=32`,
 * `train.learningRate.warmupSteps=0`): parsed into RunOverrides and validated by the config's
 * own schemas, with errors that name the setting and the problem. The CLI's repeatable
 * `--set` and the UI's "more settings" share these functions, and the engine uses
 * `overridesConflicts` to refuse a resume whose settings differ from the run's config.json.
 */
import { z } from 'zod';
import { type RunConfig, type RunOverrides, RunOverridesSchema } from './config';

/** Path segments that would reach an object's prototype instead of a setting. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/** A setting's value: JSON when it parses (numbers, booleans, arrays, "quoted" strings), else the bare text. */
export function parseSettingValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface Setting {
  /** The path as typed, e.g. `model.blocksPerLevel`. */
  path: string;
  segments: string[];
  value: unknown;
}

/** Parses one `path=value`; throws an error naming the text when it is not of that form. */
export function parseSetting(text: string): Setting {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`setting "${clip(text)}" must be path=value, e.g. model.blocksPerLevel=32`);
  const path = text.slice(0, eq).trim();
  const segments = path.split('.');
  if (segments.some((s) => !/^[A-Za-z][A-Za-z0-9]*$/.test(s) || FORBIDDEN_SEGMENTS.has(s))) {
    throw new Error(`setting "${clip(path)}" is not a path of names separated by dots, e.g. train.learningRate.warmupSteps`);
  }
  return { path, segments, value: parseSettingValue(text.slice(eq + 1).trim()) };
}

/** Writes `value` at `segments` inside `target` (creating objects on the way); names a clash. */
export function setAtPath(target: Record<string, unknown>, segments: readonly string[], value: unknown, label = segments.join('.')): void {
  let node = target;
  segments.forEach((segment, i) => {
    if (FORBIDDEN_SEGMENTS.has(segment)) throw new Error(`${label}: "${segment}" is not a setting`);
    if (i === segments.length - 1) {
      node[segment] = value;
      return;
    }
    const next = Object.prototype.hasOwnProperty.call(node, segment) ? node[segment] : undefined;
    if (next === undefined) node[segment] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new Error(`${label}: ${segments.slice(0, i + 1).join('.')} is a value, not a group of settings`);
    }
    node = node[segment] as Record<string, unknown>;
  });
}

/**
 * Applies `path=value` settings on top of `base` and validates the result with
 * RunOverridesSchema. Throws one error listing every problem, each naming its setting.
 */
export function applySettings(base: RunOverrides, settings: readonly string[]): RunOverrides {
  const merged = structuredClone(base) as Record<string, unknown>;
  for (const text of settings) {
    const setting = parseSetting(text);
    setAtPath(merged, setting.segments, setting.value);
  }
  return validateOverrides(merged);
}

/** Validates raw overrides; the error lists each problem as `path must be …, got …`. */
export function validateOverrides(raw: unknown, label: (path: string) => string = (p) => p): RunOverrides {
  const parsed = RunOverridesSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new Error(explainIssues(RunOverridesSchema, parsed.error, raw, label).join('; '));
}

/**
 * Settings of `expected` whose value differs from the run's config, as one line each
 * (`train.batchSize: 32 was given, the run has 64`). Paths in `ignore` may differ (a resume
 * may change `train.steps`).
 */
export function overridesConflicts(config: RunConfig, expected: RunOverrides, ignore: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (given: unknown, actual: unknown, path: string[]): void => {
    if (isPlainObject(given)) {
      for (const [key, value] of Object.entries(given)) {
        if (value === undefined) continue;
        walk(value, isPlainObject(actual) ? actual[key] : undefined, [...path, key]);
      }
      return;
    }
    const dotted = path.join('.');
    if (ignore.includes(dotted) || JSON.stringify(given) === JSON.stringify(actual)) return;
    out.push(`${dotted}: ${show(given)} was given, the run has ${show(actual)}`);
  };
  walk(expected, config, []);
  return out;
}

/** Human lines for a zod error: `label must be an integer, got "many"` (the schema says what it wants). */
export function explainIssues(schema: z.ZodType, error: z.ZodError, input: unknown, label: (path: string) => string = (p) => p): string[] {
  return error.issues.map((issue) => explainIssue(schema, issue, input, label));
}

function explainIssue(schema: z.ZodType, issue: z.core.$ZodIssue, input: unknown, label: (path: string) => string): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, path);
    return issue.keys
      .map((key) => `${label([...path, key].join('.'))} is not a setting${known.length > 0 ? ` (known here: ${known.join(', ')})` : ''}`)
      .join('; ');
  }
  const name = label(path.length > 0 ? path.join('.') : '(root)');
  const got = valueAt(input, path);
  const gotText = got === undefined ? '' : `, got ${show(got)}`;
  const target = schemaAt(schema, path);
  const kind = target instanceof z.ZodNumber && target.isInt ? 'an integer' : 'a number';
  switch (issue.code) {
    case 'invalid_type':
      if (got === undefined) return `${name} is required`;
      return `${name} must be ${issue.expected === 'number' || issue.expected === 'int' ? kind : article(issue.expected)}${gotText}`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int'
        ? `${name} must be ${kind} ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}${gotText}`
        : `${name} must have at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'characters' : 'items'}${gotText}`;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int'
        ? `${name} must be ${kind} ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}${gotText}`
        : `${name} must have at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'items'}${gotText}`;
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v));
      const wanted = values.length <= 2 ? values.join(' or ') : `one of ${values.join(', ')}`;
      return got === undefined ? `${name} is required (${wanted})` : `${name} must be ${wanted}${gotText}`;
    }
    default:
      return `${name}: ${issue.message}${gotText}`;
  }
}

/** The schema at `path` inside `schema` (through optional, default and nullable wrappers). */
function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | undefined {
  let node: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (node instanceof z.ZodObject) node = unwrap((node.shape as Record<string, z.ZodType>)[segment]);
    else if (node instanceof z.ZodArray) node = unwrap(node.element as z.ZodType);
    else return undefined;
  }
  return node;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let node = schema;
  while (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodNullable) {
    node = node.unwrap() as z.ZodType;
  }
  return node;
}

function keysAt(schema: z.ZodType, path: readonly string[]): string[] {
  const node = schemaAt(schema, path);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function valueAt(input: unknown, path: readonly string[]): unknown {
  let node = input;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function article(expected: string): string {
  if (expected === 'array') return 'a list';
  if (expected === 'object') return 'a group of settings';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as the user would type it, clipped (never a long string). */
function show(value: unknown): string {
  return clip(value === undefined ? 'nothing' : JSON.stringify(value));
}

function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
