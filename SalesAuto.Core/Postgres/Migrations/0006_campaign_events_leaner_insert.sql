-- Storing an event costs less (docs/benchmarks.md, "Ingest, the profile"): every insert into
-- campaign_events maintained five indexes and ran a foreign-key check per row.
--
-- campaign_events_enrollment_idx (enrollment_id) is a prefix of 0004's
-- campaign_events_enrollment_id_idx (enrollment_id, id), which serves every read by enrollment
-- (privacy export and erase); no query needs the shorter one.
drop index campaign_events_enrollment_idx;

-- The foreign key on enrollment_id checked each inserted row against enrollments (an index probe
-- and a FOR KEY SHARE row lock, which writes to the enrollment's heap tuple and, when concurrent
-- deliveries name the same enrollment, a multixact): about as much work as the insert itself for
-- a batch of 100 in EXPLAIN ANALYZE. The event processor's statement takes enrollment_id from the
-- enrollment row it has just found, so a row can only come to name a missing enrollment if that
-- enrollment is deleted; nothing deletes enrollments (erase anonymizes them, docs/privacy.md),
-- and the two triggers below make the database refuse it, for the cost of one statement-level
-- trigger on a delete that never happens instead of a check on every insert.
alter table campaign_events drop constraint campaign_events_enrollment_id_fkey;

create function enrollments_refuse_delete() returns trigger language plpgsql as $$
begin
    raise exception 'enrollments are never deleted: campaign_events rows refer to them (erase anonymizes instead)'
        using errcode = 'restrict_violation';
end
$$;

create trigger enrollments_refuse_delete before delete on enrollments
    for each statement execute function enrollments_refuse_delete();
create trigger enrollments_refuse_truncate before truncate on enrollments
    for each statement execute function enrollments_refuse_delete();
