// The demo in a real (headless) Chromium: the demo LMS framing the tool on another site, third-party
// cookies refused, launched as instructor, learner, admin and for deep linking, by clicking.
// Screenshots land in test-artifacts/ (git-ignored) for a person to look at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, startDemoBrowser, type DemoBrowser } from '../support/demo-browser.js';

const COURSE = 'Introduction to Data Science';
const MODULES = ['Module 1: Data literacy', 'Module 2: Statistics basics', 'Module 3: Data ethics'];

let demo: DemoBrowser;
beforeAll(async () => {
  demo = await startDemoBrowser('demo');
}, 90_000);
afterAll(async () => {
  await demo?.close();
});

// Generous per-test bounds: a loaded CI machine runs Chromium, the server and other test files at once.
describe('demo LMS in a browser', { timeout: 120_000 }, () => {
  it('runs in a browser that refuses third-party cookies', async () => {
    expect(demo.cookiesBlocked).toBe(true);
  });

  it('shows the demo LMS with its four launches', async () => {
    expect(new URL(demo.page.url()).origin).toBe(demo.lmsOrigin);
    for (const name of ['Instructor (course panel)', 'Learner (my badges)', 'Admin (organisation)', 'Instructor placing a link (deep linking)']) {
      await expect.poll(() => demo.page.getByRole('button', { name }).isVisible()).toBe(true);
    }
  });

  it('launches the instructor into the course panel with the seeded modules', async () => {
    const frame = await demo.launchAs('Instructor (course panel)', 'Course badges');
    await demo.expectCrossSiteAndCookieless('/app/course');
    expect(await frame.locator('.page-head').textContent()).toContain(COURSE);
    expect(await frame.locator('.page-head').textContent()).toContain('Ines Instructor');
    const modules = await demo.tableRows(frame, 'Modules');
    expect(modules.map((r) => r[1])).toEqual(MODULES);
    expect(modules.map((r) => r[2])).toEqual(['1', '1', '1']);
    const badges = await demo.tableRows(frame, 'Badges');
    expect(badges.map((r) => r[0])).toEqual(['Data Literate', 'Statistics Foundations', 'Responsible Data Practitioner']);
    // the logo may still be on its way when the tables are read: it must arrive, and decode
    await expect.poll(() => frame.locator('img[src$="logo.svg"]').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 10_000 }).toBe(true);
    await demo.screenshots('instructor');
    expect(demo.problems).toEqual([]);
  });

  it('launches the learner into "My badges"', async () => {
    const frame = await demo.launchAs('Learner (my badges)', 'My badges');
    await demo.expectCrossSiteAndCookieless('/app/me');
    expect(await frame.locator('.page-head').textContent()).toContain('Leo Learner');
    expect(await frame.locator('.page-head').textContent()).toContain(COURSE);
    expect(await frame.getByRole('heading', { level: 2 }).allTextContents()).toEqual(['Waiting for you to claim', 'Earned']);
    await demo.screenshots('learner');
    expect(demo.problems).toEqual([]);
  });

  it('launches the admin into the organisation view', async () => {
    const frame = await demo.launchAs('Admin (organisation)', 'Organisation');
    await demo.expectCrossSiteAndCookieless('/app/org');
    expect(await frame.locator('.page-head').textContent()).toContain('Demo University');
    const courses = await demo.tableRows(frame, 'Courses');
    const row = courses.find((r) => r[0] === COURSE);
    expect(row, JSON.stringify(courses)).toBeDefined();
    // modules, badges, learners: the instructor and the admin who launched are not learners
    expect(row!.slice(1, 4)).toEqual(['3', '3', '1']);
    const platforms = await demo.tableRows(frame, 'Connected platforms');
    // name with its issuer beneath, deployments, status
    expect(platforms).toEqual([[`Demo LMS${demo.lmsOrigin}`, '1', 'active']]);
    await demo.screenshots('admin');
    expect(demo.problems).toEqual([]);
  });

  it('places a module completion link by deep linking, and the new module shows in the course panel', async () => {
    const frame = await demo.launchAs('Instructor placing a link (deep linking)', 'Place Badgetrail');
    await demo.expectCrossSiteAndCookieless('/app/deep-link');
    await frame.getByRole('radio', { name: /Module completion link/ }).check();
    await frame.getByLabel('New module title').fill('Module 4: Visualisation');
    await demo.screenshots('deeplink');

    await frame.getByRole('button', { name: 'Place link' }).click();
    await expect.poll(() => demo.tool().getByRole('heading', { level: 1, name: 'Link placed' }).isVisible(), { timeout: 20_000 }).toBe(true);
    const back = new URL(demo.toolFrame().url());
    expect(back.origin).toBe(demo.lmsOrigin);
    expect(back.pathname).toBe('/deep-link-return');

    const panel = await demo.launchAs('Instructor (course panel)', 'Course badges');
    await demo.expectCrossSiteAndCookieless('/app/course');
    const modules = await demo.tableRows(panel, 'Modules');
    expect(modules.map((r) => r[1])).toEqual([...MODULES, 'Module 4: Visualisation']);
    expect(modules.at(-1)![0]).toBe('4');
    await demo.capture('demo-instructor-after-deeplink.png', DESKTOP);
    expect(demo.problems).toEqual([]);
  });
});
