/**
 * Run folders: `runs/<name>/` holds `config.json`, `metrics.jsonl`, `run.json` (status),
 * `checkpoints/` and `samples/`, so a CLI run opens in the app and vice versa. Every file that
 * is rewritten is written atomically (temporary file, then rename): a crash never leaves a
 * half-written file where a good one was.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type RunConfig, RunConfigSchema } from '../../../src-shared/config';
import { type MetricsRecord, MetricsRecordSchema, type RunState } from '../../../src-shared/protocol';
import { readJsonSync, readRegularFileSync, writeFileDurable } from './durableFiles';

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

/** Temporary file, fsync, rename, fsync of the folder (durableFiles.ts). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFileDurable(path, data);
}

/** metrics.jsonl may grow large on a long run; beyond this it is refused rather than read whole. */
const MAX_METRICS_BYTES = 1024 * 1024 * 1024;

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
    // Regular files only, and never the content in the message (durableFiles.ts).
    const raw = readJsonSync(this.configPath);
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
   * Reads metrics.jsonl, skipping a torn line (a crash mid-append) and anything that is not a
   * metrics record.
   */
  readMetrics(): MetricsRecord[] {
    if (!existsSync(this.metricsPath)) return [];
    const records: MetricsRecord[] = [];
    for (const line of readRegularFileSync(this.metricsPath, MAX_METRICS_BYTES).toString('utf8').split('\n')) {
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

  /**
   * Makes the log agree with a checkpoint at `step` (resuming, or rolling back): records past
   * it belong to work that will be redone and go; a torn line goes; a step logged twice keeps
   * its last record. The file is rewritten durably (temporary file, fsync, rename), so a kill
   * during the rewrite leaves the old log, which the next resume repairs the same way.
   * `step` −1 empties the log (a run resumed before its first checkpoint starts over).
   */
  truncateMetricsAfter(step: number): void {
    if (!existsSync(this.metricsPath)) return;
    const byStep = new Map<number, MetricsRecord>();
    for (const r of this.readMetrics()) if (r.step <= step) byStep.set(r.step, r);
    const kept = [...byStep.values()].sort((a, b) => a.step - b.step);
    writeFileAtomic(this.metricsPath, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  writeStatus(status: RunStatus): void {
    writeFileAtomic(this.statusPath, `${JSON.stringify(status, null, 2)}\n`);
  }

  readStatus(): RunStatus | null {
    if (!existsSync(this.statusPath)) return null;
    try {
      return readJsonSync(this.statusPath) as RunStatus;
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
