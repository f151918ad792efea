/** The preset catalogue: every preset with its structure and parameter count (no model built). */
import { z } from 'zod';
import { ActivationVariantSchema, ArchitectureSchema, CouplingNetworkSchema, PresetNameSchema, TrainConfigSchema } from '../../config';

export const PresetSummarySchema = z
  .object({
    name: PresetNameSchema,
    description: z.string(),
    defaultData: z.string(),
    /** Trainable parameters, counted from the config (src-main/engine/flow/parameterCount.ts). */
    parameters: z.number().int().min(0),
    parametersByKind: z.object({ conv: z.number().int(), coupling: z.number().int(), activation: z.number().int() }).strict(),
    inputShape: z.array(z.number().int()),
    levels: z.number().int(),
    blocksPerLevel: z.number().int(),
    splitFraction: z.number(),
    firstConvKernel: z.number().int(),
    convKernel: z.number().int(),
    network: CouplingNetworkSchema,
    hidden: z.number().int(),
    mixtures: z.number().int(),
    /** `resnet-se` only: the squeeze-excitation reduction in use. */
    seReduction: z.number().int().optional(),
    bins: z.number().int(),
    activationVariant: ActivationVariantSchema,
    beta: z.number(),
    bits: z.number().int(),
    batchSize: z.number().int(),
    learningRate: TrainConfigSchema.shape.learningRate,
    /** What Table 1 reports for this configuration (paper presets only). */
    paper: z.object({ source: z.string(), bpd: z.number(), parameters: z.number().optional(), note: z.string().optional() }).strict().optional(),
    /** The flow built (absent: the paper's). */
    architecture: ArchitectureSchema.optional(),
  })
  .strict();
export type PresetSummary = z.infer<typeof PresetSummarySchema>;

export const presetCommands = {
  listPresets: {
    args: z.object({}).strict(),
    result: z.object({ presets: z.array(PresetSummarySchema) }).strict(),
  },
} as const;
