// What an LMS adapter reports: graded work per (activity, learner), in the LMS API's own ids.
export interface PulledGrade {
  activityId: string;
  apiUserId: string;
  score: number;
  maxScore: number;
  completedAt: string;
}

export class LmsApiError extends Error {}

export async function getJson(url: string, init: RequestInit, timeoutMs: number): Promise<{ body: unknown; headers: Headers }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new LmsApiError(`cannot reach ${new URL(url).origin}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new LmsApiError(`${new URL(url).pathname} answered HTTP ${res.status}`);
  return { body: await res.json(), headers: res.headers };
}
