// Tenants, LTI platforms and deployments, launches, courses, modules, badges, API keys, issuer
// keys and ltijs's own documents. Every table carries tenant_id (Citus distribution column).
export const sql = /* sql */ `
create table tenants (
  tenant_id   uuid primary key,
  name        text not null check (length(name) between 1 and 200),
  created_at  timestamptz not null default now()
);

create table platforms (
  tenant_id     uuid not null references tenants(tenant_id),
  id            uuid primary key,
  issuer        text not null,
  client_id     text not null,
  auth_url      text not null,
  token_url     text not null,
  jwks_url      text not null,
  name          text not null default '',
  product       text not null default '',
  active        boolean not null default true,
  -- origins allowed to frame the tool: the issuer's, plus the LMS origins seen in signed launches
  frame_origins text[] not null default '{}',
  ltijs_kid     text not null,
  created_at    timestamptz not null default now(),
  unique (issuer, client_id)
);
create index platforms_tenant on platforms (tenant_id);

create table deployments (
  tenant_id     uuid not null references tenants(tenant_id),
  platform_id   uuid not null references platforms(id) on delete cascade,
  deployment_id text not null,
  created_at    timestamptz not null default now(),
  primary key (platform_id, deployment_id)
);

-- OIDC login state, bound on the server: the launch must present this state, and its id_token
-- the nonce issued with it, once.
create table lti_logins (
  tenant_id        uuid not null references tenants(tenant_id),
  state            text primary key,
  nonce            text not null,
  platform_id      uuid not null references platforms(id) on delete cascade,
  target_link_uri  text not null,
  storage_target   text,
  created_at       timestamptz not null default now(),
  expires_at       timestamptz not null,
  used_at          timestamptz
);
create index lti_logins_expiry on lti_logins (expires_at);

create table users (
  tenant_id    uuid not null references tenants(tenant_id),
  id           uuid primary key,
  platform_id  uuid not null references platforms(id) on delete cascade,
  lms_user_id  text not null,
  name         text,
  email        text,
  is_test      boolean not null default false,
  created_at   timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  unique (tenant_id, platform_id, lms_user_id)
);

create table courses (
  tenant_id       uuid not null references tenants(tenant_id),
  id              uuid primary key,
  platform_id     uuid not null references platforms(id) on delete cascade,
  lms_context_id  text not null,
  title           text not null default '',
  label           text not null default '',
  created_at      timestamptz not null default now(),
  unique (tenant_id, platform_id, lms_context_id)
);

create table enrolments (
  tenant_id      uuid not null references tenants(tenant_id),
  course_id      uuid not null references courses(id) on delete cascade,
  user_id        uuid not null references users(id) on delete cascade,
  roles          text[] not null default '{}',
  last_launch_at timestamptz not null default now(),
  primary key (course_id, user_id)
);

create table modules (
  tenant_id    uuid not null references tenants(tenant_id),
  id           uuid primary key,
  course_id    uuid not null references courses(id) on delete cascade,
  external_id  text,
  title        text not null check (length(title) between 1 and 200),
  position     integer not null default 0,
  created_at   timestamptz not null default now(),
  unique (course_id, external_id)
);
create index modules_course on modules (tenant_id, course_id, position);

create table badges (
  tenant_id       uuid not null references tenants(tenant_id),
  id              uuid primary key,
  course_id       uuid not null references courses(id) on delete cascade,
  module_id       uuid not null references modules(id) on delete cascade,
  name            text not null check (length(name) between 1 and 200),
  description     text not null default '',
  criteria        text not null default '',
  image_url       text,
  skills          jsonb not null default '[]',
  pathway         text,
  min_score       numeric not null default 0 check (min_score between 0 and 1),
  valid_for_days  integer check (valid_for_days > 0),
  created_at      timestamptz not null default now()
);
create index badges_course on badges (tenant_id, course_id);

-- The launch session: its token travels in the URL or form (no third-party cookie in an LMS
-- iframe); only its hash is stored.
create table launch_sessions (
  tenant_id         uuid not null references tenants(tenant_id),
  id                uuid primary key,
  token_hash        text not null unique,
  platform_id       uuid not null references platforms(id) on delete cascade,
  user_id           uuid not null references users(id) on delete cascade,
  course_id         uuid references courses(id) on delete cascade,
  view              text not null check (view in ('instructor', 'learner', 'admin', 'deep_linking')),
  roles             text[] not null default '{}',
  is_test           boolean not null default false,
  message_type      text not null,
  deployment_id     text not null,
  resource_link_id  text,
  custom            jsonb not null default '{}',
  deep_linking      jsonb,
  ltijs_context_id  text,
  created_at        timestamptz not null default now(),
  expires_at        timestamptz not null
);
create index launch_sessions_expiry on launch_sessions (expires_at);

create table api_keys (
  tenant_id   uuid not null references tenants(tenant_id),
  id          uuid primary key,
  key_hash    text not null unique,
  prefix      text not null,
  course_id   uuid references courses(id) on delete cascade,
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz
);

-- Issuer signing keys per tenant; private halves sealed with SECRET_KEY. Retired keys stay
-- published so credentials signed before a rotation still verify.
create table signing_keys (
  tenant_id    uuid not null references tenants(tenant_id),
  kid          text primary key,
  alg          text not null check (alg in ('RS256', 'EdDSA')),
  public_jwk   jsonb not null,
  private_key  text not null,
  created_at   timestamptz not null default now(),
  retired_at   timestamptz
);
create index signing_keys_tenant on signing_keys (tenant_id, alg, retired_at);

-- ltijs's documents (platforms, tool keys, tokens, sessions) behind its database plugin. ltijs
-- keys them by platform, not tenant: tool-wide rows carry the nil tenant.
create table ltijs_documents (
  tenant_id   uuid not null default '00000000-0000-0000-0000-000000000000',
  id          bigint generated always as identity primary key,
  collection  text not null,
  doc         jsonb not null,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz
);
create index ltijs_documents_doc on ltijs_documents using gin (doc jsonb_path_ops);
create index ltijs_documents_collection on ltijs_documents (collection, expires_at);
`;
