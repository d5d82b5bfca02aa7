// Analytics: the metric formulas of PRODUCT.md §5 (pure) and the analytics service over the facts.
export * from './metrics.js';
export { createAnalytics, type Analytics, type AnalyticsQuery, type AwardStatus } from './service.js';
export { timeline, perCourse } from './breakdowns.js';
export type AnalyticsResult = Awaited<ReturnType<import('./service.js').Analytics['compute']>>;
