/**
 * The Sec. 2.2 log-det blow-up detector over a run's recent diagnostics records: warns at most
 * once per detector window so a persisting condition does not flood the log.
 */
import type { RunConfig } from '../../../src-shared/config';
import { lossUnit } from '../../../src-shared/lossUnit';
import type { MetricsRecord } from '../../../src-shared/protocol';
import type { FlowModel } from '../flow/types';
import { type LogdetHistoryPoint, detectLogdetBlowup } from '../theory/blowup';

export class BlowupWatch {
  /** Recent diagnostic records (bounded). */
  private readonly history: LogdetHistoryPoint[] = [];
  private lastWarnedStep = -Infinity;

  constructor(
    private readonly model: FlowModel,
    private readonly config: RunConfig,
  ) {}

  /** The warning for this record, or null. */
  check(record: MetricsRecord): string | null {
    // While the learning rate ramps up every layer's log-det accelerates by design; judging
    // the trend starts once the warm-up is over (measured: a false alarm at step 80 otherwise).
    if (!record.layerLogdet || record.step <= this.config.train.learningRate.warmupSteps) return null;
    this.history.push({
      step: record.step,
      layerLogdet: record.layerLogdet,
      ...(record.trainBpd !== undefined ? { trainBpd: record.trainBpd } : {}),
      ...(record.trainNll !== undefined ? { trainNll: record.trainNll } : {}),
    });
    if (this.history.length > 40) this.history.shift();
    const warning = detectLogdetBlowup(
      this.history,
      this.model.layers.map((l) => l.name),
      lossUnit(this.config.model) === 'nats' ? {} : { dims: this.model.dims },
    );
    if (!warning || record.step - this.lastWarnedStep < 40 * this.config.train.diagnosticsEvery) return null;
    this.lastWarnedStep = record.step;
    return warning.message;
  }
}
