export { createAwardService, type AwardService, type AcceptChannel } from './service.js';
export type { Award, AwardMethod, AwardState } from './repository.js';
export type { AwardPage, PageRequest } from './public-page.js';
export { createNotifier, type Notifier } from './notifications.js';
export { createSmtpMailer, type Mailer, type OutgoingMail } from './mailer.js';
export { REMINDER_COOLDOWN_MS, type BadgeLearner, type LearnerListOptions, type RemindOptions, type RemindResult, type RemindSkipReason } from './reminders.js';
