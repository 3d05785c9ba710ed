-- The console's dashboard lists an organisation's lots that are not active
-- (non-conformant, recalled): this index holds only units that are not
-- active, so finding them does not read every unit the organisation holds.
CREATE INDEX units_attention ON units (kind, created_at) WHERE status <> 'active';
