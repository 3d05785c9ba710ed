//! The quality and safety archive of a plot's season (R-4.3.3.4, 质量安全
//! 档案): the plot and its environment (soil, water, environment test
//! reports), every record made at the plot in the season, the lots
//! harvested from it then, the tests of those lots and the 承诺达标合格证
//! that cover them. The server prints it as one PDF.

use chrono::{NaiveDate, TimeZone};
use suyuan_core::effects::relation;
use suyuan_core::refs::place_canonical;
use uuid::Uuid;

use crate::places::Place;
use crate::quality::certificates::Certificate;
use crate::{params, Caller, Result, Store, StoreError};

/// One record of the season.
#[derive(Debug, Clone)]
pub struct SeasonRecord {
    pub event_id: String,
    /// ms since the epoch.
    pub event_time: i64,
    pub record_kind: Option<String>,
    pub org_name: String,
    pub corrected: bool,
}

/// A plot's season, gathered.
#[derive(Debug, Clone)]
pub struct SeasonDossier {
    pub place: Place,
    pub from: String,
    pub to: String,
    /// Records made at the plot in the season, by time.
    pub records: Vec<SeasonRecord>,
    /// The lots harvested from the plot in the season.
    pub lots: Vec<String>,
    /// Tests of those lots.
    pub tests: Vec<SeasonRecord>,
    pub certificates: Vec<Certificate>,
}

/// The first ms of `day` (China time), `end` for the first of the next.
fn day_ms(field: &str, day: &str, end: bool) -> Result<(String, i64)> {
    let d = suyuan_core::archives::date(day).map_err(|e| StoreError::invalid(field, e))?;
    let date = NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let date = if end {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    let china =
        chrono::FixedOffset::east_opt(8 * 3600).ok_or_else(|| StoreError::Corrupt("offset".into()))?;
    let at = china
        .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .single()
        .ok_or_else(|| StoreError::Corrupt("date".into()))?;
    Ok((d, at.timestamp_millis()))
}

const RECORD_COLUMNS: &str =
    "e.event_id, e.event_time, e.record_kind, e.corrected_by, o.name AS org_name FROM events e \
     JOIN organisations o ON o.id = e.org_id";

fn record(r: &crate::db::Row) -> Result<SeasonRecord> {
    Ok(SeasonRecord {
        event_id: r.text("event_id")?,
        event_time: r.int("event_time")?,
        record_kind: r.opt_text("record_kind")?,
        org_name: r.text("org_name")?,
        corrected: r.opt_text("corrected_by")?.is_some(),
    })
}

impl Store {
    /// The season `from`..=`to` (YYYY-MM-DD, China time) of a plot the
    /// caller may read (another organisation's plot is not found).
    pub async fn season_dossier(
        &self,
        caller: &Caller,
        place: Uuid,
        from: &str,
        to: &str,
    ) -> Result<SeasonDossier> {
        let (from, start) = day_ms("from", from, false)?;
        let (to, end) = day_ms("to", to, true)?;
        if end <= start {
            return Err(StoreError::invalid(
                "to",
                suyuan_core::Invalid::new(
                    "time_range",
                    "the season ends on or after the day it starts",
                    "季节结束日期不得早于开始日期",
                ),
            ));
        }
        let place = self.get_place(caller, place).await?;
        let uri = place_canonical(place.id, place.gln.as_deref());
        let mut conn = self.db.conn();
        let records = conn
            .fetch_all(
                &format!(
                    "SELECT {RECORD_COLUMNS} WHERE e.biz_location = $1 AND e.event_time >= $2 AND e.event_time < $3 \
                     AND e.is_error_declaration = FALSE ORDER BY e.event_time, e.event_id"
                ),
                &params![uri.as_str(), start, end],
            )
            .await?
            .iter()
            .map(record)
            .collect::<Result<Vec<_>>>()?;
        let lots: Vec<String> = conn
            .fetch_all(
                "SELECT DISTINCT l.downstream FROM lineage l JOIN events e ON e.id = l.event_pk \
                 WHERE l.upstream = $1 AND l.relation = $2 AND e.event_time >= $3 AND e.event_time < $4 \
                 ORDER BY l.downstream",
                &params![uri.as_str(), relation::GROWN_ON, start, end],
            )
            .await?
            .iter()
            .map(|r| r.text("downstream"))
            .collect::<Result<_>>()?;
        let mut tests = Vec::new();
        let mut certificates: Vec<Certificate> = Vec::new();
        for lot in &lots {
            let found = conn
                .fetch_all(
                    &format!(
                        "SELECT DISTINCT {RECORD_COLUMNS} JOIN event_epcs x ON x.event_pk = e.id \
                         WHERE x.epc = $1 AND e.record_kind = 'testing' AND e.is_error_declaration = FALSE \
                         ORDER BY e.event_time, e.event_id"
                    ),
                    &params![lot.as_str()],
                )
                .await?;
            for r in &found {
                tests.push(record(r)?);
            }
            for c in self.certificates_covering(lot).await? {
                if !certificates.iter().any(|x| x.number == c.number) {
                    certificates.push(c);
                }
            }
        }
        Ok(SeasonDossier {
            place,
            from,
            to,
            records,
            lots,
            tests,
            certificates,
        })
    }
}
