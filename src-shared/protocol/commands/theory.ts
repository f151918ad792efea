/** Theory commands (Sec. 2): reference bounds and Lipschitz estimates. */
import { z } from 'zod';
import { RunRefSchema } from '../common';

export const BoundsSchema = z
  .object({
    /** bpd of the best x-independent linear flow (Gaussian with the data covariance). */
    ppcaBpd: z.number(),
    /** The QLF optimum of Eq. 6 under the documented estimator. */
    qlfBpd: z.number(),
    estimator: z.string(),
    /** Test split only, when asked: the training split's Gaussian evaluated on the test split. */
    heldOutPpcaBpd: z.number().optional(),
    split: z.enum(['train', 'test']),
    dims: z.number().int(),
    count: z.number().int(),
    /** Secondary estimates and how the figures were computed (the CLI prints them). */
    detail: z
      .object({
        ppcaMethod: z.enum(['exact', 'stationary']),
        /** The stationary (DFT) PPCA, an upper bound of the exact one. */
        stationaryPpcaBpd: z.number(),
        /** Eq. 6 with the literal S = x xT + I/12 (vacuous, see docs/theory.md). */
        qlfLiteralBpd: z.number(),
        backend: z.string(),
        seconds: z.number().min(0),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Bounds = z.infer<typeof BoundsSchema>;

export const theoryCommands = {
  bounds: {
    args: z
      .object({
        data: z.string().min(1).max(4096),
        split: z.enum(['train', 'test']).default('train'),
        /** Use the first `limit` examples only (large datasets; the bounds are estimates then). */
        limit: z.number().int().min(1).optional(),
        /** Also fit on train and evaluate on test (`heldOutPpcaBpd`; test split only). */
        heldOut: z.boolean().default(false),
        /** PPCA method: exact (eigendecomposition, d ≤ 3072 by default) or stationary (DFT). */
        method: z.enum(['auto', 'exact', 'stationary']).default('auto'),
      })
      .strict(),
    result: BoundsSchema,
  },
  lipschitz: {
    args: z.object({ run: RunRefSchema, iterations: z.number().int().min(1).max(1000).default(20) }).strict(),
    result: z.object({ blocks: z.array(z.object({ name: z.string(), estimate: z.number() }).strict()) }).strict(),
  },
} as const;
