// The Completion API's input (PRODUCT.md §7a), validated per item so one bad item never sinks
// the batch.
import { z } from 'zod';

export const MAX_BATCH = 1000;

export const CompletionItem = z.object({
  courseId: z.string().trim().min(1).max(255),
  moduleId: z.string().trim().min(1).max(255),
  learner: z.object({
    id: z.string().trim().min(1).max(255),
    email: z.email().max(320).optional(),
    name: z.string().trim().max(200).optional(),
    testAccount: z.boolean().optional(),
  }).strict(),
  score: z.number().finite().min(0),
  maxScore: z.number().finite().positive(),
  completedAt: z.iso.datetime({ offset: true }),
}).strict().refine((c) => c.score <= c.maxScore, { message: 'score must not exceed maxScore', path: ['score'] });
export type CompletionItem = z.infer<typeof CompletionItem>;

export const CompletionBatch = z.object({ completions: z.array(z.unknown()).min(1, 'completions must not be empty') }).strict();

export type CompletionStatus = 'awarded' | 'duplicate' | 'below_threshold' | 'no_badge' | 'invalid';
export interface CompletionResult {
  index: number;
  status: CompletionStatus;
  awardId?: string;
  /** The claim link of a newly created award, for callers that deliver their own notification. */
  claimUrl?: string;
  error?: string;
}
