export { createAwardService, type AwardService, type AcceptChannel } from './service.js';
export type { Award, AwardMethod, AwardState } from './repository.js';
