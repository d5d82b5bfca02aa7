export * from './errors.js';
export * from './clock.js';
export * from './ids.js';
export * from './secret-box.js';
export * from './logger.js';
export * from './heap.js';
