-- NF-instance live migration (issue 6, docs/handover.md): a migration reserves command
-- generations base+1 .. base+10 of the instance's guest on both agents; the next command the
-- reconciler sends is above generation_floor so no agent refuses it as STALE_GENERATION.
ALTER TABLE nf_instance ADD COLUMN generation_floor BIGINT NOT NULL DEFAULT 0;
-- MIGRATE: the NF instance's generation when the migration started (a rollback restores it;
-- base_generation is then the base of the migration's own command generations).
ALTER TABLE migration ADD COLUMN instance_generation BIGINT;
