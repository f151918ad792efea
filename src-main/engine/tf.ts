/**
 * The one tfjs import of the engine. `@tensorflow/tfjs` (its Node bundle) registers every
 * gradient and the cpu backend; tfjs-core's own ESM entry for the gradients cannot load under
 * Node's ESM resolver (directory imports), so the union package is the portable way in.
 * The wasm backend registers itself on import. Native backends (tfjs-node-gpu / tfjs-node)
 * are loaded at run time by backend.ts when installed. Import `tf` from here, never from a
 * tfjs package directly.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

// Production mode: no per-op debug checks, and no "install tfjs-node" banner on the cpu backend
// (backend.ts reports the backend choice itself).
tf.enableProdMode();

export { tf };
export type Tensor = tf.Tensor;
export type Variable = tf.Variable;
