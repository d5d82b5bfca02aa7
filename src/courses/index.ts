export { createCourseService, type CourseService } from './service.js';
export type { ModuleSummary, BadgeSummary, CourseSummary, LearnerSummary } from './repository.js';
export { createBadgeCatalog, sniffImage, IMAGE_MAX_BYTES, type BadgeCatalog, type Badge, type BadgeDefinition } from './badges.js';
