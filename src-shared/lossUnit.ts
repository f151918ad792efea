/**
 * The one place that tells image models from vector (2-D toy) models, by what their loss is
 * measured in: n-bit images ([h, w, c]) in bits per dimension of the data, dequantised first;
 * continuous vectors ([d]) in nats per example, taken as they are. Everything that treats the
 * two differently (loss, metric names, data conversion, shape rules, which views apply) asks this.
 */
export type LossUnit = 'bpd' | 'nats';

export function lossUnit(model: { readonly inputShape: readonly number[] }): LossUnit {
  return model.inputShape.length === 1 ? 'nats' : 'bpd';
}
