-- The unresolved partial index gains id, so a list filtered by status failed (or replaying), which
-- the planner serves from this smaller index, reads it backwards already in the list's
-- (created_at desc, id desc) order: no sort step, not even an incremental one over equal
-- created_at groups (a batch dead-lettered in one statement shares its created_at).
-- The oldest unresolved dead letter (stats) is still its first entry.
create index dead_letters_unresolved_keyset_idx on dead_letters (created_at, id)
    where status in ('failed', 'replaying');
drop index dead_letters_unresolved_idx;
