/**
 * Command arguments assembled from flags, remembering which flag set which field so a schema
 * error names the flag the user typed (`--batch`, `--set model.levels`), not the field.
 * Bounds are never checked here: the command's schema does that (CliEngine.validate).
 */
import { parseSetting, setAtPath } from '../../src-shared/settings';

/** A numeric flag as commander hands it over: a number, or the text that is not one. */
export type Numeric = number | string;

/** `evalN` → `--eval-n`. */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export class FlagArgs {
  readonly value: Record<string, unknown> = {};
  private readonly labels = new Map<string, string>();
  /** Fields that hold a value, and the flag that gave it. */
  private readonly setBy = new Map<string, string>();

  /** The flags named in `fields` (flag key → argument path), each labelled by its flag (`evalN` → `--eval-n`). */
  static from(flags: object, fields: Readonly<Record<string, string>>): FlagArgs {
    const args = new FlagArgs();
    const values = flags as Record<string, unknown>;
    for (const [key, path] of Object.entries(fields)) args.set(path, values[key], flagName(key));
    return args;
  }

  /** Sets the field at the dotted `path` when `value` is given; a field set twice is an error naming both flags. */
  set(path: string, value: unknown, flag: string): this {
    if (value === undefined) {
      // Still remembered: a required field left out is named by its flag.
      if (!this.labels.has(path)) this.labels.set(path, flag);
      return this;
    }
    const previous = this.setBy.get(path);
    if (previous !== undefined && previous !== flag) throw new Error(`${flag} and ${previous} both set ${path}`);
    setAtPath(this.value, path.split('.'), value, flag);
    this.labels.set(path, flag);
    this.setBy.set(path, flag);
    return this;
  }

  /** Applies repeatable `--set path=value` settings under `prefix` (e.g. `overrides`). */
  settings(prefix: string, texts: readonly string[] = []): this {
    for (const text of texts) {
      const setting = parseSetting(text);
      this.set(prefix ? `${prefix}.${setting.path}` : setting.path, setting.value, `--set ${setting.path}`);
    }
    return this;
  }

  /** The flag behind a field (or the group containing it), else the field's path. */
  readonly label = (path: string): string => {
    const exact = this.labels.get(path);
    if (exact !== undefined) return exact;
    let best: { path: string; flag: string } | null = null;
    for (const [p, flag] of this.labels) {
      if (path.startsWith(`${p}.`) && (!best || p.length > best.path.length)) best = { path: p, flag };
    }
    // Inside a --set value the rest of the path says which part is wrong; a plain flag is enough.
    if (best) return best.flag.startsWith('--set ') ? `${best.flag} (${path.slice(best.path.length + 1)})` : best.flag;
    for (const [p, flag] of this.labels) if (p.startsWith(`${path}.`)) return flag;
    return path;
  };
}

/** Commander parser for numeric flags: a number when the text is one, else the text (the schema names the problem). */
export function numeric(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/** Commander collector for repeatable flags (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Renames the config paths in an engine error's detail lines (`train.batchSize: …`) after the
 * flags that set them, under `prefix` (e.g. `expected` for a resume's settings).
 */
export function relabelDetails(error: unknown, args: FlagArgs, prefix: string): unknown {
  const details = (error as { details?: unknown }).details;
  if (!(error instanceof Error) || !Array.isArray(details)) return error;
  const lines = details.map((line: unknown) => {
    const text = String(line);
    const colon = text.indexOf(': ');
    if (colon < 0) return text;
    const path = text.slice(0, colon);
    const label = args.label(prefix ? `${prefix}.${path}` : path);
    return label === (prefix ? `${prefix}.${path}` : path) ? text : `${label} (${path})${text.slice(colon)}`;
  });
  // A ProtocolError's message is `head: detail; detail`.
  const suffix = `: ${details.map(String).join('; ')}`;
  const head = error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
  return new Error(`${head}: ${lines.join('; ')}`);
}
