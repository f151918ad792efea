/**
 * CIFAR-10 binary version (`cifar-10-batches-bin`): each batch file is 10000 records of one
 * label byte (0..9) and 3072 image bytes, channel-planar (1024 R, 1024 G, 1024 B, rows of
 * 32). Records are converted to NHWC as they are read.
 */
import { join } from 'node:path';
import { DataError } from './errors';
import { exists } from './files';
import { planarToHwc } from './pixels';
import { readRegularFile } from './regularFile';

export const CIFAR_SIDE = 32;
const IMAGE_BYTES = CIFAR_SIDE * CIFAR_SIDE * 3;
const RECORD_BYTES = 1 + IMAGE_BYTES;
const RECORDS_PER_BATCH = 10000;

export const CIFAR_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_FILE = 'test_batch.bin';

export interface CifarSplit {
  images: Uint8Array;
  labels: Int32Array;
}

/** Parses one batch file's bytes; names the file in every error. */
export function parseCifarBatch(bytes: Uint8Array, file: string): CifarSplit {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / RECORD_BYTES);
    throw new DataError(
      `${file} is ${bytes.length} bytes, not a whole number of ${RECORD_BYTES}-byte CIFAR-10 records (${whole} complete, ${bytes.length - whole * RECORD_BYTES} bytes left over): truncated or not a CIFAR-10 binary batch`,
      file,
    );
  }
  const n = bytes.length / RECORD_BYTES;
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const at = r * RECORD_BYTES;
    const label = bytes[at]!;
    if (label > 9) throw new DataError(`${file}: record ${r} has label ${label}, CIFAR-10 labels are 0..9`, file);
    labels[r] = label;
    planarToHwc(bytes.subarray(at + 1, at + RECORD_BYTES), CIFAR_SIDE * CIFAR_SIDE, 3, images, r * IMAGE_BYTES);
  }
  return { images, labels };
}

/** The folder holding the batches: the spec's folder, or its `cifar-10-batches-bin` child. */
export async function findCifarDir(dir: string): Promise<string> {
  for (const candidate of [dir, join(dir, 'cifar-10-batches-bin')]) {
    if (await exists(join(candidate, CIFAR_TEST_FILE))) return candidate;
    if (await exists(join(candidate, CIFAR_TRAIN_FILES[0]!))) return candidate;
  }
  throw new DataError(`${dir} holds no CIFAR-10 binary batches (looked for ${CIFAR_TRAIN_FILES[0]} and ${CIFAR_TEST_FILE}, also in cifar-10-batches-bin/)`, dir);
}

/** Loads the batch files of a split; files the format lists but the folder lacks are warned about. */
export async function loadCifarSplit(dir: string, files: string[], warn: (message: string) => void): Promise<CifarSplit> {
  const parts: CifarSplit[] = [];
  for (const name of files) {
    const path = join(dir, name);
    if (!(await exists(path))) {
      warn(`${path} is missing: the split is loaded without it`);
      continue;
    }
    const bytes = await readRegularFile(path);
    const part = parseCifarBatch(bytes, path);
    if (part.labels.length !== RECORDS_PER_BATCH) warn(`${path} has ${part.labels.length} records; CIFAR-10 batches have ${RECORDS_PER_BATCH}`);
    parts.push(part);
  }
  const n = parts.reduce((sum, p) => sum + p.labels.length, 0);
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Int32Array(n);
  let at = 0;
  for (const part of parts) {
    images.set(part.images, at * IMAGE_BYTES);
    labels.set(part.labels, at);
    at += part.labels.length;
  }
  return { images, labels };
}
