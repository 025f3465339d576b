-- A replay claims its dead letters (status replaying) before it processes and requeues them. A
-- process that dies in between (killed, an outage after the claim) used to leave them replaying
-- with nothing queued, recoverable only by a replay with "force": true. The claim now expires:
-- replay_claimed_until is set by the claim and cleared once the event is stored or back in the
-- retry queue; the retry cycle replays again every replaying row whose claim has expired.
alter table dead_letters add column replay_claimed_until timestamptz;

-- The cycle's look-up: a handful of rows at most, found without scanning the table.
create index dead_letters_replay_claim_expiry on dead_letters (replay_claimed_until)
    where status = 'replaying' and replay_claimed_until is not null;

-- Rows left replaying before this migration cannot tell a queued replay from an interrupted one:
-- give them an expired claim, so the first cycle replays each once more (idempotent: a stored event
-- comes back as a duplicate, a queued one as already queued) and none stays stuck.
update dead_letters set replay_claimed_until = now() where status = 'replaying';
