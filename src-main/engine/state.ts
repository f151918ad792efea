/**
 * Engine-process singletons: the run manager, sharing the data module's registry of opened
 * datasets (so training, the data commands and sampling open each dataset once). Created on
 * first use so that an engine that only answers `ping` never loads models or datasets.
 */
import { sharedDatasets } from '../data/openedDatasets';
import { RunManager } from './runs/runManager';

let runs: RunManager | null = null;

export function runManager(): RunManager {
  runs ??= new RunManager((spec, options) => sharedDatasets.open(spec, options));
  return runs;
}
