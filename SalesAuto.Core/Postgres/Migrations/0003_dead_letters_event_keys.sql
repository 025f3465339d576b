-- A replay runs the dead letter's event through processing again, so the row keeps everything the
-- event needs to find its enrollment, not only its payload: when it occurred, the lower-cased
-- email and the CRM contact id.
alter table dead_letters
    add column occurred_at timestamptz,
    add column email text,
    add column crm_contact_id text;
