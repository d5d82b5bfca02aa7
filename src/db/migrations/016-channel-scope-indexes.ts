// award_day_channels (013) is keyed by tenant and day first, which serves the organisation: a
// course or a badge over a year read every course's rows of the year (300k at a million awards).
export const sql = /* sql */ `
create index award_day_channels_course on award_day_channels (tenant_id, course_id, day);
create index award_day_channels_badge on award_day_channels (tenant_id, badge_id, day);
`;
