-- SalesAuto schema, DESIGN.md "Postgres". Applied by DbUp once per database (journal: schemaversions).
-- Tables are created in the first schema of the connection's search_path.

create table campaigns (
    id          text primary key check (length(id) between 1 and 200),
    name        text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create table enrollments (
    id              bigint generated always as identity primary key,
    campaign_id     text not null references campaigns (id),
    -- Lower-cased by the application; the check keeps the unique key honest.
    email           text not null check (email = lower(email) and length(email) between 3 and 320),
    crm_contact_id  text check (length(crm_contact_id) between 1 and 200),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint enrollments_campaign_email_key unique (campaign_id, email)
);

-- HubSpot events find their enrollment by CRM contact id: the newest enrollment wins (docs/webhooks.md).
create index enrollments_crm_contact_idx on enrollments (crm_contact_id, created_at desc, id desc)
    where crm_contact_id is not null;

create table campaign_events (
    id             bigint generated always as identity primary key,
    source         text not null,
    event_id       text not null,
    enrollment_id  bigint not null references enrollments (id),
    campaign_id    text not null,
    type           text not null,
    occurred_at    timestamptz not null,
    received_at    timestamptz not null default now(),
    payload        jsonb not null,
    -- The idempotency key: a redelivered event is a no-op.
    constraint campaign_events_source_event_key unique (source, event_id)
);

-- Campaign statistics are counted from this index (index-only scans): exact by construction,
-- no counter row for concurrent deliveries to fight over.
create index campaign_events_campaign_type_idx on campaign_events (campaign_id, type);
create index campaign_events_enrollment_idx on campaign_events (enrollment_id);

create table dead_letters (
    id               uuid primary key default gen_random_uuid(),
    source           text not null,
    event_id         text not null,
    type             text not null,
    campaign_id      text,
    status           text not null default 'failed'
                     check (status in ('failed', 'replaying', 'replayed', 'ignored')),
    payload          jsonb not null,
    failure_reason   text not null,
    attempts         integer not null check (attempts >= 0),
    replay_count     integer not null default 0,
    first_seen_at    timestamptz not null,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    resolved_at      timestamptz,
    constraint dead_letters_source_event_key unique (source, event_id)
);

-- The list is newest first, (created_at desc, id desc), keyset-paginated; one index per filter
-- that narrows the most, each ending in the sort key so no sort step is needed.
create index dead_letters_created_idx on dead_letters (created_at desc, id desc);
create index dead_letters_status_created_idx on dead_letters (status, created_at desc, id desc);
create index dead_letters_source_created_idx on dead_letters (source, created_at desc, id desc);
create index dead_letters_type_created_idx on dead_letters (type, created_at desc, id desc);
-- The oldest unresolved dead letter, for the stats and the alert.
create index dead_letters_unresolved_idx on dead_letters (created_at)
    where status in ('failed', 'replaying');
-- Retention: resolved rows by age.
create index dead_letters_resolved_idx on dead_letters (resolved_at)
    where status in ('replayed', 'ignored');

-- Exact counts by status, source and type, kept by statement-level triggers so that the stats
-- endpoint reads a few rows instead of counting a million.
create table dead_letter_counts (
    status  text not null,
    source  text not null,
    type    text not null,
    count   bigint not null,
    primary key (status, source, type)
);

create function dead_letter_counts_apply() returns trigger language plpgsql as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        insert into dead_letter_counts as c (status, source, type, count)
        select status, source, type, -count(*) from old_rows group by status, source, type
        order by status, source, type
        on conflict (status, source, type) do update set count = c.count + excluded.count;
    end if;
    if tg_op in ('UPDATE', 'INSERT') then
        insert into dead_letter_counts as c (status, source, type, count)
        select status, source, type, count(*) from new_rows group by status, source, type
        order by status, source, type
        on conflict (status, source, type) do update set count = c.count + excluded.count;
    end if;
    return null;
end $$;

create trigger dead_letters_count_insert after insert on dead_letters
    referencing new table as new_rows
    for each statement execute function dead_letter_counts_apply();
create trigger dead_letters_count_update after update on dead_letters
    referencing old table as old_rows new table as new_rows
    for each statement execute function dead_letter_counts_apply();
create trigger dead_letters_count_delete after delete on dead_letters
    referencing old table as old_rows
    for each statement execute function dead_letter_counts_apply();

create table audit_log (
    id              bigint generated always as identity primary key,
    at              timestamptz not null default now(),
    actor           text not null,
    action          text not null check (action in ('replay', 'ignore')),
    dead_letter_id  uuid not null,
    outcome         text not null,
    detail          jsonb
);

create index audit_log_dead_letter_idx on audit_log (dead_letter_id, at);
