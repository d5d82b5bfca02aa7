// Which view a launch opens, from its LTI roles. Short role names ("Instructor") are accepted too,
// since the spec deprecates but still allows them.
import { LTI_ROLE } from './constants.js';

export type LaunchView = 'admin' | 'instructor' | 'learner';

const ADMIN = new Set<string>([LTI_ROLE.SYSTEM_ADMIN, LTI_ROLE.INSTITUTION_ADMIN, 'Administrator']);
const INSTRUCTOR = new Set<string>([
  LTI_ROLE.INSTRUCTOR,
  LTI_ROLE.CONTENT_DEVELOPER,
  LTI_ROLE.TEACHING_ASSISTANT,
  LTI_ROLE.CONTEXT_ADMIN,
  'Instructor',
  'ContentDeveloper',
  'TeachingAssistant',
]);

export function viewForRoles(roles: readonly string[]): LaunchView {
  if (roles.some((r) => ADMIN.has(r))) return 'admin';
  if (roles.some((r) => INSTRUCTOR.has(r) || r.startsWith(`${LTI_ROLE.INSTRUCTOR}#`))) return 'instructor';
  return 'learner';
}

export const isTestUser = (roles: readonly string[]): boolean => roles.includes(LTI_ROLE.TEST_USER);
