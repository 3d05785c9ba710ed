-- Every query of events is scoped to organisations (`org_id = …`, or the
-- organisations of an officer's jurisdiction), which `events_org_time`
-- serves, time range included; indexes on the event time or the business
-- step alone served no query and cost every capture two more B-tree inserts
-- per event.
DROP INDEX events_time;
DROP INDEX events_biz_step;
