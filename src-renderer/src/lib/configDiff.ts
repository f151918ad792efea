/**
 * Run configurations as flat `dotted.key → text` rows: the settings table of a run, the
 * side-by-side table of a comparison (rows where the runs differ are flagged), and the check
 * of which settings a form filled from a run cannot carry.
 */

/** `{model: {levels: 2}}` → `{'model.levels': '2'}`; arrays are one value (`28×28×1` style). */
export function flattenConfig(config: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    if (prefix) out[prefix] = formatValue(config);
    return out;
  }
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, flattenConfig(value, path));
    else out[path] = formatValue(value);
  }
  return out;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatValue).join('×');
  if (value === undefined) return '–';
  return String(value);
}

export interface ConfigRow {
  key: string;
  /** One per config; undefined where that config lacks the key. */
  values: (string | undefined)[];
  /** The configs disagree on this key (a missing key counts as a different value). */
  differs: boolean;
}

/** The union of the configs' keys, in first-seen order, with each config's value. */
export function configTable(configs: readonly unknown[]): ConfigRow[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const f of flat) {
    for (const key of Object.keys(f)) {
      if (!seen.has(key)) {
        seen.add(key);
        keys.push(key);
      }
    }
  }
  return keys.map((key) => {
    const values = flat.map((f) => f[key]);
    return { key, values, differs: values.some((v) => v !== values[0]) };
  });
}

/** Keys whose value in `wanted` is not the one in `got` (what a form could not reproduce). */
export function changedKeys(wanted: unknown, got: unknown): string[] {
  const a = flattenConfig(wanted);
  const b = flattenConfig(got);
  return Object.keys(a).filter((key) => a[key] !== b[key]);
}
