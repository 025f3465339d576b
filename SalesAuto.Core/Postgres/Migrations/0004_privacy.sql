-- Privacy (docs/privacy.md): erase a person everywhere, suppress them after, audit it all.
--
-- Erase anonymizes rather than deletes: campaign statistics are counted from enrollments and
-- campaign_events rows, and must stay exactly what they were, so each row keeps what it counts
-- (campaign, type, times, source and event id) and loses the person (email, CRM contact id,
-- payload). erased_at marks such rows; nothing else reads them differently.
alter table enrollments
    alter column email drop not null,
    add column erased_at timestamptz,
    add constraint enrollments_email_or_erased check (email is not null or erased_at is not null);

alter table campaign_events add column erased_at timestamptz;
alter table dead_letters add column erased_at timestamptz;

-- Erase and export find a person by email or CRM contact id in every table.
create index enrollments_email_idx on enrollments (email) where email is not null;
create index dead_letters_email_idx on dead_letters (email) where email is not null;
create index dead_letters_crm_contact_idx on dead_letters (crm_contact_id) where crm_contact_id is not null;
-- Export reads a person's events in id order, in batches.
create index campaign_events_enrollment_id_idx on campaign_events (enrollment_id, id);

-- The suppression list: keyed hashes (HMAC-SHA256 under Privacy:HashKeys) of erased people's
-- lower-cased emails and CRM contact ids, never the values themselves. A hash written under a
-- key that is later retired is still found as long as that key stays listed.
create table suppressions (
    hash        bytea primary key check (length(hash) = 32),
    created_at  timestamptz not null default now()
);

-- audit_log now also records privacy actions: export, erase, and suppressed (a webhook event
-- about an erased person, not stored). Those rows name no dead letter; the person appears only
-- as the keyed hash of the identifier acted on (subject), and the counts go into detail.
alter table audit_log
    alter column dead_letter_id drop not null,
    drop constraint audit_log_action_check,
    add constraint audit_log_action_check check (action in ('replay', 'ignore', 'export', 'erase', 'suppressed')),
    add column subject bytea;

-- GET /api/audit: newest first by (at desc, id desc), keyset-paginated, optionally by action or actor.
create index audit_log_at_idx on audit_log (at desc, id desc);
create index audit_log_action_at_idx on audit_log (action, at desc, id desc);
create index audit_log_actor_at_idx on audit_log (actor, at desc, id desc);
-- Export lists the audit entries about the person.
create index audit_log_subject_idx on audit_log (subject, at) where subject is not null;
