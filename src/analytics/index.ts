// Analytics: the metric formulas of PRODUCT.md §5 (pure); queries and the API follow (issue 5).
export * from './metrics.js';
