/**
 * Run folders: `runs/<name>/` holds `config.json`, `metrics.jsonl`, `run.json` (status),
 * `checkpoints/` and `samples/`, so a CLI run opens in the app and vice versa. Every file that
 * is rewritten is written atomically (temporary file, then rename): a crash never leaves a
 * half-written file where a good one was.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type RunConfig, RunConfigSchema } from '../../../src-shared/config';
import { type MetricsRecord, MetricsRecordSchema, type RunState } from '../../../src-shared/protocol';

export interface RunStatus {
  runId: string;
  state: RunState;
  step: number;
  totalSteps: number;
  backend: string;
  updated: number;
  message?: string;
}

export function defaultRunsRoot(): string {
  return resolve(process.env['FLOWSTUDIO_RUNS'] ?? join(process.cwd(), 'runs'));
}

/** A fresh folder name: `<preset>-<yyyymmdd-hhmmss>` (suffixed if taken). */
export function newRunDir(root: string, preset: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let dir = join(root, `${preset}-${stamp}`);
  for (let i = 2; existsSync(dir); i++) dir = join(root, `${preset}-${stamp}-${i}`);
  return dir;
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export class RunFolder {
  constructor(readonly dir: string) {}

  get configPath(): string {
    return join(this.dir, 'config.json');
  }
  get metricsPath(): string {
    return join(this.dir, 'metrics.jsonl');
  }
  get statusPath(): string {
    return join(this.dir, 'run.json');
  }
  get checkpointsDir(): string {
    return join(this.dir, 'checkpoints');
  }
  get samplesDir(): string {
    return join(this.dir, 'samples');
  }
  get name(): string {
    return basename(this.dir);
  }

  exists(): boolean {
    return existsSync(this.configPath);
  }

  /** Creates the folder for a new run; refuses to overwrite an existing run. */
  create(config: RunConfig): void {
    if (this.exists()) {
      throw new Error(`${this.dir} already holds a run (config.json exists); resume it or choose another folder`);
    }
    mkdirSync(this.checkpointsDir, { recursive: true });
    mkdirSync(this.samplesDir, { recursive: true });
    writeFileAtomic(this.configPath, `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Replaces the config of an existing run (resuming with more steps). */
  writeConfig(config: RunConfig): void {
    writeFileAtomic(this.configPath, `${JSON.stringify(RunConfigSchema.parse(config), null, 2)}\n`);
  }

  readConfig(): RunConfig {
    if (!existsSync(this.configPath)) throw new Error(`${this.dir} is not a run folder (no config.json)`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.configPath, 'utf8'));
    } catch (error) {
      throw new Error(`${this.configPath} is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = RunConfigSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${this.configPath} is not a valid run config: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    return parsed.data;
  }

  appendMetrics(record: MetricsRecord): void {
    appendFileSync(this.metricsPath, `${JSON.stringify(record)}\n`);
  }

  /**
   * Reads metrics.jsonl, skipping a torn last line (a crash mid-append) and records past
   * `maxStep` (steps redone after resuming from an earlier checkpoint are kept once: the later).
   */
  readMetrics(): MetricsRecord[] {
    if (!existsSync(this.metricsPath)) return [];
    const records: MetricsRecord[] = [];
    for (const line of readFileSync(this.metricsPath, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const parsed = MetricsRecordSchema.safeParse(JSON.parse(line));
        if (parsed.success) records.push(parsed.data);
      } catch {
        // torn line: ignore
      }
    }
    return records;
  }

  /** Drops metric lines after `step` (used when resuming from a checkpoint older than the log). */
  truncateMetricsAfter(step: number): void {
    const kept = this.readMetrics().filter((r) => r.step <= step);
    writeFileAtomic(this.metricsPath, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  writeStatus(status: RunStatus): void {
    writeFileAtomic(this.statusPath, `${JSON.stringify(status, null, 2)}\n`);
  }

  readStatus(): RunStatus | null {
    if (!existsSync(this.statusPath)) return null;
    try {
      return JSON.parse(readFileSync(this.statusPath, 'utf8')) as RunStatus;
    } catch {
      return null;
    }
  }
}

/** Run folders directly under `root`, newest first. */
export function listRunFolders(root: string): RunFolder[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => new RunFolder(join(root, name)))
    .filter((run) => run.exists())
    .sort((a, b) => statSync(b.dir).mtimeMs - statSync(a.dir).mtimeMs);
}
