export { createCourseService, type CourseService } from './service.js';
export type { ModuleSummary, BadgeSummary, CourseSummary } from './repository.js';
