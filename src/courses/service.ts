// The course catalogue: what the instructor and admin views list, and module creation when an
// instructor places a module's completion link.
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { BadRequestError, NotFoundError, newId } from '../shared/index.js';
import { courseRepository } from './repository.js';

const ModuleTitle = z.string().trim().min(1, 'a module needs a title').max(200, 'the module title is too long');

export function createCourseService({ db }: { db: Db }) {
  const repo = courseRepository(db);
  return {
    async overview(tenantId: string, courseId: string) {
      const [modules, badges] = await Promise.all([repo.modules(tenantId, courseId), repo.badges(tenantId, courseId)]);
      return { modules, badges };
    },
    listCourses: (tenantId: string) => repo.courses(tenantId),
    learners: (tenantId: string, courseId: string) => repo.learners(tenantId, courseId),
    async createModule(tenantId: string, courseId: string, title: string): Promise<{ id: string; title: string }> {
      const parsed = ModuleTitle.safeParse(title);
      if (!parsed.success) throw new BadRequestError('invalid_module', parsed.error.issues[0]!.message);
      const id = newId();
      await repo.insertModule({ tenantId, id, courseId, title: parsed.data, externalId: null });
      return { id, title: parsed.data };
    },
    async requireModule(tenantId: string, courseId: string, moduleId: string): Promise<void> {
      if (!z.uuid().safeParse(moduleId).success || !(await repo.moduleExists(tenantId, courseId, moduleId))) {
        throw new NotFoundError('module_not_found', 'That module is not part of this course.');
      }
    },
  };
}

export type CourseService = ReturnType<typeof createCourseService>;
