-- The dead-letter list filtered by status, source and type together (the console's and the
-- runbooks' usual question: "failed hubspot email.clicked, newest first") was served by one of the
-- single-column indexes and a filter on the rest: at 1,000,000 rows EXPLAIN (ANALYZE, BUFFERS)
-- showed a backward scan of dead_letters_unresolved_keyset_idx discarding 705 rows (438 buffers)
-- for a page of 51, and a rarer combination discards proportionally more (docs/benchmarks.md,
-- dead letters at scale). With all three equal, this index yields the page in list order, rows
-- read = rows returned, however rare the combination; the cursor's row comparison continues it.
create index dead_letters_status_source_type_created_idx
    on dead_letters (status, source, type, created_at desc, id desc);
