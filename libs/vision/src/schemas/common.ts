import { z } from 'zod';

/** A share or a score in 0..1. */
export const unit = () => z.number().min(0).max(1);

/** Short printed text; the bound keeps a runaway answer from bloating a row. */
export const printed = (max = 120) => z.string().min(1).max(max);
