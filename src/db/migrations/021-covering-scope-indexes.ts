// A course's and a badge's awards read from an index alone. The per-award passes of analytics at
// course and badge scope (median and p90, repeat earners, pathways) found their few thousand awards
// by the unique key (tenant, course, module, learner) or by awards_badge, then fetched each row
// from the wide heap: at a million awards that was 5,000 buffers and most of a course's 30 ms of
// percentiles on a cold cache. Both indexes now carry the columns scopedAwards reads (stats off).
// They replace the old ones, so awards keep as many indexes; accepting or revoking an award already
// changed columns of awards_awarded and awards_learner, so no update that was HOT stops being one.
// The unique index keeps the key columns, and ON CONFLICT (tenant_id, course_id, module_id,
// user_id) infers it as before.
export const sql = /* sql */ `
create unique index awards_course_learner on awards (tenant_id, course_id, module_id, user_id) include (badge_id, awarded_at, accepted_at, revoked_at, valid_until, is_test);
alter table awards drop constraint awards_tenant_id_course_id_module_id_user_id_key;
create index awards_badge_covering on awards (tenant_id, badge_id, awarded_at) include (course_id, user_id, accepted_at, revoked_at, valid_until, is_test);
drop index awards_badge;
alter index awards_badge_covering rename to awards_badge;
`;
