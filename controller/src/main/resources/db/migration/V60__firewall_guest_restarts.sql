-- Automatic restart of crashed firewall guests (docs/firewall.md): a guest that crashes or
-- stops on its own is replaced by a new row/guest that carries the count forward.
ALTER TABLE firewall_guest ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;   -- restarts within the window, this one included
ALTER TABLE firewall_guest ADD COLUMN last_restart_at TIMESTAMPTZ;           -- when this row was made by a restart
ALTER TABLE firewall_guest ADD COLUMN restart_at TIMESTAMPTZ;                -- back-off: the create is not sent before this

-- the resend pass looks only at rows waiting for an answer
CREATE INDEX firewall_guest_unsettled ON firewall_guest (dispatched_at)
    WHERE state IN ('PENDING', 'UPDATING', 'TERMINATING');
