/**
 * Every path a command's arguments carry, for the path policy (pathPolicy.ts). The map is
 * total over the command names, so a new command does not compile until it says which of its
 * arguments are paths (an empty list for none).
 */
import { parseDataSpec } from '../../src-shared/dataSpec';
import type { CommandArgs, CommandName, ImageRef, RunRef } from '../../src-shared/protocol';
import type { PathUse } from './pathPolicy';

type PathFields = { [C in CommandName]: (args: CommandArgs<C>) => PathUse[] };

const none = (): PathUse[] => [];

function runRef(field: string, ref: RunRef): PathUse[] {
  return 'runDir' in ref ? [{ field: `${field}.runDir`, path: ref.runDir, kind: 'run' }] : [];
}

/**
 * The folder of a data spec. A NUL byte anywhere in the spec is reported as a path problem; a
 * spec that does not parse names no folder, and the engine answers it with the parse error.
 */
function dataSpec(field: string, spec: string): PathUse[] {
  if (spec.includes('\0')) return [{ field, path: spec, kind: 'data' }];
  try {
    const parsed = parseDataSpec(spec);
    return parsed.format === 'toy' ? [] : [{ field, path: parsed.path, kind: 'data' }];
  } catch {
    return [];
  }
}

function imageRef(field: string, ref: ImageRef): PathUse[] {
  if ('file' in ref) return [{ field: `${field}.file`, path: ref.file, kind: 'file' }];
  // Without `data` the image comes from the run's own dataset, which the run folder names.
  return 'data' in ref ? dataSpec(`${field}.data`, ref.data) : [];
}

export const PATH_FIELDS: PathFields = {
  ping: none,
  getBackendInfo: none,
  health: none,
  requestStats: none,
  getHostInfo: none,
  restartEngine: none,
  pickPath: none,
  listPresets: none,
  datasetInfo: (a) => dataSpec('data', a.data),
  datasetImage: (a) => dataSpec('data', a.data),
  startTraining: (a) => [
    ...(a.runDir !== undefined ? [{ field: 'runDir', path: a.runDir, kind: a.resume ? 'run' : 'newRun' } as const] : []),
    ...(a.overrides.data !== undefined ? dataSpec('overrides.data', a.overrides.data) : []),
  ],
  resumeTraining: (a) => [{ field: 'runDir', path: a.runDir, kind: 'run' }],
  waitForRun: none,
  controlTraining: none,
  listRuns: (a) => (a.root !== undefined ? [{ field: 'root', path: a.root, kind: 'runsRoot' }] : []),
  openRun: (a) => runRef('run', a.run),
  sample: (a) => runRef('run', a.run),
  perturb: (a) => [...runRef('run', a.run), ...imageRef('image', a.image)],
  perturbGrid: (a) => [...runRef('run', a.run), ...imageRef('image', a.image)],
  interpolate: (a) => [...runRef('run', a.run), ...imageRef('a', a.a), ...imageRef('b', a.b)],
  bounds: (a) => dataSpec('data', a.data),
  lipschitz: (a) => runRef('run', a.run),
  evaluate: (a) => [...runRef('run', a.run), ...(a.data !== undefined ? dataSpec('data', a.data) : [])],
  check: none,
  ablate: (a) => [...dataSpec('data', a.data), ...(a.outDir !== undefined ? [{ field: 'outDir', path: a.outDir, kind: 'newRun' } as const] : [])],
  toyDensity: (a) => runRef('run', a.run),
  toyLayers: (a) => runRef('run', a.run),
};

/** The path uses of one validated request. */
export function pathUsesOf<C extends CommandName>(command: C, args: CommandArgs<C>): PathUse[] {
  return (PATH_FIELDS[command] as (args: CommandArgs<C>) => PathUse[])(args);
}
