/** What the image handlers share: the run's image shape, images in and PNGs out. */
import type { ImageRef, Png } from '../../../src-shared/protocol';
import { lossUnit } from '../../../src-shared/lossUnit';
import { encodePngGrid } from '../../data';
import { loadImageFile } from '../../data/imageFile';
import { sharedDatasets } from '../../data/openedDatasets';
import { type EngineContext, yieldToEvents } from '../context';
import type { Between } from '../runs/inference';
import { imageToModelInput, toDisplayPixels } from '../runs/inference';
import type { LoadedRun } from '../runs/runManager';
import type { Tensor } from '../tf';

export function imageShape(run: LoadedRun): number[] {
  const shape = run.config.model.inputShape;
  if (lossUnit(run.config.model) !== 'bpd') throw new Error(`${run.folder.dir} is a 2-D toy model: use the toy lab instead of image commands`);
  return shape;
}

/** Model-range images [n, h, w, c] as one PNG grid. */
export async function gridPng(run: LoadedRun, images: Tensor, columns: number): Promise<Png> {
  return encodePngGrid(await toDisplayPixels(images, run.config.model.bits), imageShape(run), columns);
}

/** Each model-range image (every image of every tensor, in order) as its own PNG. */
export async function eachPng(run: LoadedRun, images: readonly Tensor[]): Promise<Png[]> {
  const out: Png[] = [];
  for (const image of images) {
    for (const pixels of await toDisplayPixels(image, run.config.model.bits)) out.push(await encodePngGrid([pixels], imageShape(run), 1));
  }
  return out;
}

/** Loads the referenced image as a model input [1, h, w, c] at the run's size and bits. */
export async function loadImage(run: LoadedRun, ref: ImageRef): Promise<Tensor> {
  const shape = imageShape(run);
  if ('file' in ref) {
    const pixels = await loadImageFile(ref.file, { size: shape[0]!, channels: shape[2]!, bits: run.config.model.bits });
    return imageToModelInput(pixels, shape, run.config.model);
  }
  const data = 'data' in ref ? ref.data : run.config.data;
  const dataset = await sharedDatasets.open(data);
  const example = await dataset.get(ref.split, ref.index);
  if (example.shape.join('x') !== shape.join('x')) {
    throw new Error(`${data} has images of shape ${example.shape.join('×')} but the run expects ${shape.join('×')}`);
  }
  return imageToModelInput(example.data as Uint8Array, shape, run.config.model);
}

/** Between chunks of work: let other requests in, then stop if this one was superseded. */
export function checkpointsOf(ctx: EngineContext): Between {
  return async () => {
    await yieldToEvents();
    ctx.throwIfCancelled();
  };
}
