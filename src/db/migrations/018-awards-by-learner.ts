// The organisation's per-learner passes of analytics (repeat earners, pathways) read awards in
// learner order from one index alone: grouping streams learner by learner and the pathway's
// window needs only a small sort within each learner, where a pass over awards_awarded hashed a
// quarter of a million learners and sorted half a million awards. It replaces awards_user (the
// same leading columns, so every lookup that used it still can): awards keep eight indexes.
export const sql = /* sql */ `
create index awards_learner on awards (tenant_id, user_id, awarded_at) include (badge_id, course_id, is_test, accepted_at, revoked_at, valid_until);
drop index awards_user;
`;
