// An award's badge, course and module checked as one key, and a completion's course and module.
// Each foreign key is a lookup per inserted row: six for an award and five for a completion were
// 55 ms of PostgreSQL's 220 for a batch of 1,000 completions. The badge of an award fixes its
// course and module (issuance copies them from the badge), and a badge's row names its tenant, so
// one key (tenant_id, badge_id, course_id, module_id) → badges replaces the four to tenants,
// badges, courses and modules, and holds more: an award whose course or module is not its badge's,
// or whose tenant is not its badge's, is refused. Completions likewise check (tenant_id, course_id,
// module_id) → modules, still deleted with their module (and so with its course). Both new keys
// carry tenant_id, as Citus wants of keys between distributed tables. award_links (022), one row
// an award written only by the awards' trigger from the award's own row, loses its key to tenants:
// it checked nothing the award's key had not, at 5 ms a batch.
//
// Rows that break the new keys (none that this code wrote) stop the migration with their count
// and what to correct, before any key changes; the server then does not start on the old schema.
export const sql = /* sql */ `
do $do$
declare n bigint;
begin
  select count(*) into n from awards a join badges b on b.id = a.badge_id
    where (a.tenant_id, a.course_id, a.module_id) is distinct from (b.tenant_id, b.course_id, b.module_id);
  if n > 0 then
    raise exception 'migration 024: % awards name a tenant, course or module that is not their badge''s; set them to the badge''s and start again', n;
  end if;
  select count(*) into n from completions c left join modules m on m.id = c.module_id
    where m.id is null or (c.tenant_id, c.course_id) is distinct from (m.tenant_id, m.course_id);
  if n > 0 then
    raise exception 'migration 024: % completions name a tenant or course that is not their module''s; set them to the module''s and start again', n;
  end if;
end
$do$;
create unique index badges_award_key on badges (tenant_id, id, course_id, module_id);
create unique index modules_completion_key on modules (tenant_id, course_id, id);
alter table awards
  drop constraint awards_tenant_id_fkey,
  drop constraint awards_badge_id_fkey,
  drop constraint awards_course_id_fkey,
  drop constraint awards_module_id_fkey,
  add constraint awards_badge_fkey foreign key (tenant_id, badge_id, course_id, module_id) references badges (tenant_id, id, course_id, module_id);
alter table completions
  drop constraint completions_tenant_id_fkey,
  drop constraint completions_course_id_fkey,
  drop constraint completions_module_id_fkey,
  add constraint completions_module_fkey foreign key (tenant_id, course_id, module_id) references modules (tenant_id, course_id, id) on delete cascade;
alter table award_links drop constraint award_links_tenant_id_fkey;
`;
