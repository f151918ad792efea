/**
 * Plain lists of the command and event names, without zod, for the Electron preload's
 * allowlist (a sandboxed preload should stay tiny). `commands/index.ts` and `events.ts`
 * check at compile time that these lists match the schemas exactly.
 */
export const COMMAND_NAME_LIST = [
  'ping',
  'getBackendInfo',
  'requestStats',
  'health',
  'getHostInfo',
  'restartEngine',
  'pickPath',
  'datasetInfo',
  'datasetImage',
  'startTraining',
  'resumeTraining',
  'waitForRun',
  'controlTraining',
  'listRuns',
  'openRun',
  'sample',
  'perturb',
  'perturbGrid',
  'interpolate',
  'evaluate',
  'check',
  'bounds',
  'lipschitz',
  'ablate',
  'toyDensity',
  'toyLayers',
  'listPresets',
] as const;

export const EVENT_NAME_LIST = ['metrics', 'progress', 'state', 'log', 'error'] as const;

/** Channel names of the Electron IPC transport. */
export const IPC_INVOKE_CHANNEL = 'flowstudio:invoke';
export const IPC_EVENT_CHANNEL = 'flowstudio:event';
