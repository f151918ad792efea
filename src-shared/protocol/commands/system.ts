/** System commands: liveness and which tfjs backend the engine runs on. */
import { z } from 'zod';

export const BackendNameSchema = z.enum(['tensorflow', 'webgpu', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendNameSchema>;

/** The GPU adapter a WebGPU backend runs on, as the driver names it. */
export const AdapterInfoSchema = z
  .object({
    vendor: z.string(),
    architecture: z.string(),
    device: z.string(),
    description: z.string(),
    /** A software rasteriser (llvmpipe, SwiftShader...): runs on the CPU, slower than wasm. */
    software: z.boolean(),
  })
  .strict();
export type AdapterInfo = z.infer<typeof AdapterInfoSchema>;

export const BackendInfoSchema = z
  .object({
    /** The tfjs backend in use. */
    active: BackendNameSchema,
    /** The npm package that provides it (e.g. @tensorflow/tfjs-node-gpu). */
    package: z.string(),
    /** Why this backend was chosen. */
    reason: z.string(),
    /** Every backend tried before it, and why it was skipped. */
    skipped: z.array(z.object({ name: z.string(), reason: z.string() }).strict()),
    tfjsVersion: z.string(),
    /** Whether the device is a GPU (tfjs-node-gpu with CUDA, or webgpu on a hardware adapter). */
    gpu: z.boolean(),
    /** webgpu only: the adapter. */
    adapter: AdapterInfoSchema.optional(),
    /** wasm only: SIMD, and the threads XNNPACK runs (FLOWSTUDIO_THREADS, default 1). */
    simd: z.boolean().optional(),
    threads: z.number().int().optional(),
    /** CPU backends: the data-parallel workers a training step runs on (FLOWSTUDIO_WORKERS, default every core). */
    workers: z.number().int().min(1).optional(),
    numTensors: z.number().int(),
    numBytes: z.number().int(),
  })
  .strict();
export type BackendInfo = z.infer<typeof BackendInfoSchema>;

/** One line for people: the device behind the backend (the CLI's first line, the UI header). */
export function describeDevice(info: Pick<BackendInfo, 'gpu' | 'adapter' | 'threads' | 'simd' | 'workers'>): string {
  const a = info.adapter;
  if (a) {
    const name = [a.vendor, a.architecture].filter((s) => s !== '').join(' ');
    return `${a.software ? 'software GPU' : 'GPU'}: ${a.description || a.device || 'unnamed adapter'}${name ? ` (${name})` : ''}`;
  }
  const workers = info.workers !== undefined && info.workers > 1 ? `, training on ${info.workers} data-parallel workers` : '';
  if (info.threads !== undefined) return `CPU, ${info.threads} thread${info.threads === 1 ? '' : 's'}${info.simd ? ', SIMD' : ''}${workers}`;
  return info.gpu ? 'GPU' : `CPU${workers}`;
}

/** One line naming the backend, its device and why it was chosen (the CLI's first line). */
export function backendSummary(info: Pick<BackendInfo, 'active' | 'package' | 'reason' | 'gpu' | 'adapter' | 'threads' | 'simd' | 'workers'>): string {
  return `${info.active} on ${describeDevice(info)} (${info.package}; ${info.reason})`;
}

export const HostInfoSchema = z
  .object({
    mode: z.enum(['electron', 'serve', 'embedded']),
    appVersion: z.string(),
    protocolVersion: z.number().int(),
    enginePid: z.number().int().nullable(),
    engineRestarts: z.number().int(),
  })
  .strict();
export type HostInfo = z.infer<typeof HostInfoSchema>;

/** How many requests of one command the engine started, and how each ended. */
const CommandStatsSchema = z
  .object({
    started: z.number().int().min(0),
    completed: z.number().int().min(0),
    failed: z.number().int().min(0),
    /** Superseded by a newer request with the same `supersede` key. */
    cancelled: z.number().int().min(0),
  })
  .strict();
export type CommandStats = z.infer<typeof CommandStatsSchema>;

const RequestStatsSchema = z.object({ commands: z.record(z.string(), CommandStatsSchema) }).strict();
export type RequestStats = z.infer<typeof RequestStatsSchema>;
/** Liveness of the engine: the fuzz test and a UI watchdog ask this while other work runs. */
export const HealthSchema = z
  .object({
    pid: z.number().int(),
    uptimeMs: z.number().min(0),
    /** The backend in use, or null while none has been initialised yet. */
    backend: z.object({ active: BackendNameSchema, reason: z.string() }).strict().nullable(),
    /** How late the engine's event loop ran since the previous health call (mean and worst). */
    eventLoopLagMs: z.object({ mean: z.number().min(0), max: z.number().min(0) }).strict(),
    /** Other requests the host has sent to the engine and not had answered; null when not asked through a host. */
    pendingRequests: z.number().int().min(0).nullable(),
  })
  .strict();
export type Health = z.infer<typeof HealthSchema>;

/** Commands that take no arguments (and refuse any). */
const NoArgs = z.object({}).strict();

export const systemCommands = {
  ping: {
    args: z.object({ nonce: z.string().max(256) }).strict(),
    result: z.object({ nonce: z.string(), pid: z.number().int(), uptimeMs: z.number() }).strict(),
  },
  getBackendInfo: {
    args: NoArgs,
    result: BackendInfoSchema,
  },
  /** Debug: the engine's per-command request counters since it started. */
  requestStats: {
    args: NoArgs,
    result: RequestStatsSchema,
  },
  /** Liveness: pid, uptime, backend, event-loop lag (the host adds its pending requests). */
  health: {
    args: NoArgs,
    result: HealthSchema,
  },
  /** Answered by the host, not the engine. */
  getHostInfo: {
    args: NoArgs,
    result: HostInfoSchema,
  },
  /** Answered by the host: a native file/folder dialog (Electron only; serve mode says so). */
  pickPath: {
    args: z.object({ kind: z.enum(['file', 'folder']), title: z.string().max(200).optional() }).strict(),
    result: z.object({ path: z.string().nullable() }).strict(),
  },
  /** Answered by the host: kills the engine process (if alive) and starts a new one. */
  restartEngine: {
    args: NoArgs,
    result: z.object({ pid: z.number().int() }).strict(),
  },
} as const;
