// Open Badges 3.0: badge images, awards with their signed credentials, revocation status lists, and
// the append-only event log.
export const sql = /* sql */ `
alter table tenants add column issuer_url text;
alter table tenants add column issuer_email text;

create table badge_images (
  tenant_id     uuid not null references tenants(tenant_id),
  id            uuid primary key,
  content_type  text not null check (content_type in ('image/png', 'image/svg+xml')),
  bytes         bytea not null,
  created_at    timestamptz not null default now()
);

alter table badges add column image_id uuid references badge_images(id);
alter table badges add column external_id text;
create unique index badges_external_id on badges (tenant_id, external_id) where external_id is not null;
-- One badge per module: awards are idempotent on tenant + course + module + learner.
create unique index badges_one_per_module on badges (tenant_id, module_id);

-- A W3C Bitstring Status List (revocation): one bit per award, published as a signed credential.
create table status_lists (
  tenant_id    uuid not null references tenants(tenant_id),
  id           uuid primary key,
  purpose      text not null default 'revocation' check (purpose in ('revocation')),
  size         integer not null check (size > 0 and size % 8 = 0),
  next_index   integer not null default 0,
  bits         bytea not null,
  credential   jsonb,
  updated_at   timestamptz not null default now()
);
create index status_lists_open on status_lists (tenant_id, purpose, next_index);

create table awards (
  tenant_id          uuid not null references tenants(tenant_id),
  id                 uuid primary key,
  badge_id           uuid not null references badges(id),
  course_id          uuid not null references courses(id),
  module_id          uuid not null references modules(id),
  user_id            uuid not null references users(id),
  method             text not null check (method in ('lms', 'api', 'csv', 'manual')),
  is_test            boolean not null default false,
  awarded_at         timestamptz not null,
  accepted_at        timestamptz,
  revoked_at         timestamptz,
  revocation_reason  text,
  valid_until        timestamptz,
  is_public          boolean not null default false,
  show_name          boolean not null default false,
  recipient_salt     text not null,
  status_list_id     uuid not null references status_lists(id),
  status_index       integer not null,
  -- the credential as issued is the payload of its VC-JWT (signed at issuance, not stored twice),
  -- its Data Integrity proof (slow: RDF canonicalisation) is made on first use and then kept
  credential_jwt     text not null,
  credential_di      jsonb,
  created_at         timestamptz not null default now(),
  unique (tenant_id, course_id, module_id, user_id),
  unique (status_list_id, status_index)
);
-- A VC-JWT is base64 and barely compresses: store it out of line without spending CPU on pglz.
alter table awards alter column credential_jwt set storage external;
create index awards_badge on awards (tenant_id, badge_id, awarded_at);
create index awards_user on awards (tenant_id, user_id);

-- Append-only: rows are inserted, never updated or deleted.
create table events (
  tenant_id    uuid not null references tenants(tenant_id),
  id           bigint generated always as identity,
  course_id    uuid,
  module_id    uuid,
  badge_id     uuid,
  award_id     uuid,
  learner_id   uuid,
  type         text not null check (type in ('awarded', 'notified', 'accepted', 'shared', 'viewed', 'verified', 'revoked', 'expired', 'visibility_changed')),
  channel      text,
  is_bot       boolean not null default false,
  occurred_at  timestamptz not null,
  metadata     jsonb not null default '{}',
  primary key (tenant_id, id)
);
create index events_award on events (tenant_id, award_id, type);
create index events_course_time on events (tenant_id, course_id, occurred_at);
`;
