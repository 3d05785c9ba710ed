//! The EPCIS query interface over stored events: the standard parameters
//! (eventType, GE_/LT_eventTime, EQ_bizStep, EQ_disposition, EQ_bizLocation,
//! EQ_readPoint, MATCH_epc, MATCH_anyEPC, MATCH_epcClass, MATCH_parentID,
//! MATCH_inputEPC, MATCH_outputEPC) with cursor paging.
//!
//! Identifiers and vocabulary in parameters are brought to the canonical
//! form events are indexed in, so a URN, a Digital Link on any domain, a
//! bare CBV word or its Web URI all match the same events. A caller sees the
//! events its organisation captured (an officer: those of organisations in
//! its jurisdiction).

use serde_json::Value;
use suyuan_core::epcis::{canonical_web_uri, Vocabulary};
use uuid::Uuid;

use crate::db::Val;
use crate::{Caller, Result, Store, StoreError};

/// A parsed EPCIS query.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub event_types: Vec<String>,
    pub ge_event_time: Option<i64>,
    pub lt_event_time: Option<i64>,
    pub ge_record_time: Option<i64>,
    pub lt_record_time: Option<i64>,
    pub biz_steps: Vec<String>,
    pub dispositions: Vec<String>,
    pub biz_locations: Vec<String>,
    pub read_points: Vec<String>,
    pub match_epc: Vec<String>,
    pub match_any_epc: Vec<String>,
    pub match_epc_class: Vec<String>,
    pub match_parent_id: Vec<String>,
    pub match_input_epc: Vec<String>,
    pub match_output_epc: Vec<String>,
    /// Our extension: only records of these kinds.
    pub record_kinds: Vec<String>,
    pub per_page: u32,
    /// The id of the last event of the previous page.
    pub after: Option<Uuid>,
}

/// One page of events (their stored documents) and the cursor of the next.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub events: Vec<Value>,
    pub next: Option<Uuid>,
}

fn canon(uri: &str) -> String {
    canonical_web_uri(uri).unwrap_or_else(|| uri.to_owned())
}

struct Sql {
    text: String,
    params: Vec<Val>,
}

impl Sql {
    fn param(&mut self, v: impl Into<Val>) -> String {
        self.params.push(v.into());
        format!("${}", self.params.len())
    }

    fn any_of(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let ps: Vec<String> = values.iter().map(|v| self.param(v.as_str())).collect();
        self.text
            .push_str(&format!(" AND {column} IN ({})", ps.join(",")));
    }

    fn epcs(&mut self, roles: &[&str], values: &[String]) {
        if values.is_empty() {
            return;
        }
        let rs: Vec<String> = roles.iter().map(|r| format!("'{r}'")).collect();
        let ps: Vec<String> = values.iter().map(|v| self.param(canon(v))).collect();
        self.text.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM event_epcs x WHERE x.event_pk = t.id AND x.role IN ({}) AND x.epc IN ({}))",
            rs.join(","),
            ps.join(",")
        ));
    }
}

impl Store {
    /// Runs an EPCIS query for the caller.
    pub async fn query_events(&self, caller: &Caller, q: &EventQuery) -> Result<EventPage> {
        let (scope, p) = caller.record_scope("t", 1);
        let mut sql = Sql {
            text: format!("SELECT t.id, t.document FROM events t WHERE {scope}"),
            params: vec![p],
        };
        sql.any_of("t.event_type", &q.event_types);
        for (col, op, v) in [
            ("t.event_time", ">=", q.ge_event_time),
            ("t.event_time", "<", q.lt_event_time),
            ("t.record_time", ">=", q.ge_record_time),
            ("t.record_time", "<", q.lt_record_time),
        ] {
            if let Some(v) = v {
                let p = sql.param(v);
                sql.text.push_str(&format!(" AND {col} {op} {p}"));
            }
        }
        let steps: Vec<String> = q
            .biz_steps
            .iter()
            .map(|s| Vocabulary::BizStep.expand_or_keep(s))
            .collect();
        sql.any_of("t.biz_step", &steps);
        let disps: Vec<String> = q
            .dispositions
            .iter()
            .map(|s| Vocabulary::Disposition.expand_or_keep(s))
            .collect();
        sql.any_of("t.disposition", &disps);
        let locs: Vec<String> = q.biz_locations.iter().map(|s| canon(s)).collect();
        sql.any_of("t.biz_location", &locs);
        let rps: Vec<String> = q.read_points.iter().map(|s| canon(s)).collect();
        sql.any_of("t.read_point", &rps);
        sql.any_of("t.record_kind", &q.record_kinds);
        sql.epcs(&["epc", "child"], &q.match_epc);
        sql.epcs(&["epc", "child", "parent", "input", "output"], &q.match_any_epc);
        sql.epcs(&["quantity", "child_quantity"], &q.match_epc_class);
        sql.epcs(&["parent"], &q.match_parent_id);
        sql.epcs(&["input", "input_quantity"], &q.match_input_epc);
        sql.epcs(&["output", "output_quantity"], &q.match_output_epc);
        if let Some(after) = q.after {
            let p = sql.param(after);
            sql.text.push_str(&format!(" AND t.id > {p}"));
        }
        let per_page = q.per_page.clamp(1, 1000);
        sql.text
            .push_str(&format!(" ORDER BY t.id LIMIT {}", per_page + 1));
        let rows = self.db.conn().fetch_all(&sql.text, &sql.params).await?;
        let mut events = Vec::with_capacity(rows.len());
        let mut next = None;
        for (i, r) in rows.iter().enumerate() {
            if i == per_page as usize {
                next = Some(rows[i - 1].uuid("id")?);
                break;
            }
            events.push(
                serde_json::from_str(&r.text("document")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
        }
        Ok(EventPage { events, next })
    }

    /// One event by its eventID, if the caller may read it. The original,
    /// then its error declaration if there is one.
    pub async fn get_event(&self, caller: &Caller, event_id: &str) -> Result<Vec<Value>> {
        let (scope, p) = caller.record_scope("t", 3);
        let rows = self
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT t.document FROM events t WHERE t.event_key = $1 AND t.event_id = $2 AND {scope} \
                     ORDER BY t.is_error_declaration"
                ),
                &[super::event_key(event_id).into(), event_id.into(), p],
            )
            .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound { what: "event" });
        }
        rows.iter()
            .map(|r| {
                serde_json::from_str(&r.text("document")?).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }
}
