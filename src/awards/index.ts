export { createAwardService, type AwardService } from './service.js';
export type { Award, AwardMethod, AwardState } from './repository.js';
