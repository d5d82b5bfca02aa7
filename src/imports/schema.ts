// POST /api/v1/import (PRODUCT.md §7a): history from another badge platform.
import { z } from 'zod';

const When = z.iso.datetime({ offset: true });

export const ImportBadge = z.object({ externalId: z.string().trim().min(1).max(255) }).loose();
export const ImportCompletion = z.object({
  courseId: z.string().trim().min(1).max(255), moduleId: z.string().trim().min(1).max(255), learnerId: z.string().trim().min(1).max(255),
  score: z.number().finite().min(0), maxScore: z.number().finite().positive(), completedAt: When,
}).strict().refine((c) => c.score <= c.maxScore, { message: 'score must not exceed maxScore', path: ['score'] });
export const ImportAward = z.object({
  externalId: z.string().trim().min(1).max(255), badgeExternalId: z.string().trim().min(1).max(255), learnerId: z.string().trim().min(1).max(255),
  testAccount: z.boolean().optional(), method: z.enum(['lms', 'api', 'csv', 'manual']), awardedAt: When,
  acceptedAt: When.optional(), revokedAt: When.optional(), public: z.boolean().optional(),
}).strict().refine((a) => !a.acceptedAt || a.acceptedAt >= a.awardedAt, { message: 'acceptedAt is before awardedAt', path: ['acceptedAt'] });
// The channels of PRODUCT.md §4: analytics group shares and views by them, so an event names one.
const SHARE_CHANNELS = ['linkedin_profile', 'linkedin_post', 'x', 'facebook', 'email', 'copy_link', 'embed', 'download'];
const VIEW_SOURCES = ['linkedin', 'email', 'embed', 'search', 'direct', 'other'];
const NOTIFY_CHANNELS = ['email', 'lms'];
const CHANNELS: Partial<Record<string, string[]>> = { shared: SHARE_CHANNELS, viewed: VIEW_SOURCES, verified: VIEW_SOURCES, notified: NOTIFY_CHANNELS };

export const ImportEvent = z.object({
  awardExternalId: z.string().trim().min(1).max(255),
  // awarded, accepted and revoked come from the awards themselves.
  type: z.enum(['notified', 'shared', 'viewed', 'verified', 'visibility_changed', 'expired']),
  channel: z.string().trim().min(1).max(50).optional(), outcome: z.enum(['sent', 'failed']).optional(), occurredAt: When,
  userAgent: z.string().max(1000).optional(),
}).strict().superRefine((e, ctx) => {
  const allowed = CHANNELS[e.type];
  if (allowed && e.channel !== undefined && !allowed.includes(e.channel)) ctx.addIssue({ code: 'custom', path: ['channel'], message: `a ${e.type} event's channel is one of ${allowed.join(', ')}` });
  if (e.type === 'shared' && e.channel === undefined) ctx.addIssue({ code: 'custom', path: ['channel'], message: `a shared event names its channel: one of ${SHARE_CHANNELS.join(', ')}` });
  // The failure rate is failed ÷ all notifications: one without an outcome would count in neither.
  if (e.type === 'notified' && e.outcome === undefined) ctx.addIssue({ code: 'custom', path: ['outcome'], message: 'a notified event has an outcome: sent or failed' });
}).transform((e) => ({
  ...e,
  // A view or verification with no source known is what the tool records for one without referrer or tag.
  channel: e.channel ?? (e.type === 'notified' ? 'email' : e.type === 'viewed' || e.type === 'verified' ? 'direct' : undefined),
}));

export const ImportBody = z.object({
  badges: z.array(z.unknown()).max(10_000).default([]),
  completions: z.array(z.unknown()).max(100_000).default([]),
  awards: z.array(z.unknown()).max(100_000).default([]),
  events: z.array(z.unknown()).max(500_000).default([]),
}).strict();

export interface ItemResult { index: number; status: 'imported' | 'duplicate' | 'invalid' | 'not_found'; id?: string; error?: string }
