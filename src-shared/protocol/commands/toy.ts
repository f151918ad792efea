/** Toy-lab commands (Fig. 3 / 7): density heat map and the data through every layer. */
import { z } from 'zod';
import { RunRefSchema } from '../common';

export const toyCommands = {
  toyDensity: {
    args: z
      .object({ run: RunRefSchema, resolution: z.number().int().min(8).max(512).default(128), extent: z.number().positive().default(4) })
      .strict(),
    result: z
      .object({
        resolution: z.number().int(),
        extent: z.number(),
        /** Row-major log-density on [-extent, extent]^2, row 0 at y = +extent. */
        logDensity: z.array(z.number()),
      })
      .strict(),
  },
  toyLayers: {
    args: z.object({ run: RunRefSchema, n: z.number().int().min(16).max(20_000).default(2000) }).strict(),
    result: z
      .object({
        layers: z.array(
          z
            .object({
              name: z.string(),
              /** Flattened [x0, y0, x1, y1, ...] after this layer. */
              points: z.array(z.number()),
              /** Half-width of the square that holds 99% of the points (the panel's scale). */
              scale: z.number(),
            })
            .strict(),
        ),
      })
      .strict(),
  },
} as const;
