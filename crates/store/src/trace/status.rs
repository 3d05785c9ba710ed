//! A unit's conformance status reaches every unit made of it.
//!
//! When a lot becomes non-conformant (a harvest inside a pre-harvest
//! interval, a failed test), so does everything downstream of it: its items
//! (`units.lot_epc`), the cases and pallets it was packed into (`packed`
//! edges), and what was made of it (`transformed`, `split`), all levels
//! down. A unit made later of a non-conformant one (a transformation output,
//! an aggregation parent) is non-conformant from the start. The reason is
//! kept in English and in Chinese, so every page and answer can show it in
//! its own language.

use std::collections::BTreeSet;

use super::lineage::relation;
use crate::db::{placeholders, Tx, Val};
use crate::Result;

/// `seeds` and every unit made of them, all levels down.
pub(crate) async fn with_downstream(tx: &mut Tx, seeds: &[String]) -> Result<BTreeSet<String>> {
    let mut all: BTreeSet<String> = seeds.iter().cloned().collect();
    let mut frontier: Vec<String> = seeds.to_vec();
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for chunk in frontier.chunks(400) {
            let ps: Vec<Val> = chunk.iter().map(|s| Val::from(s.as_str())).collect();
            let items = format!(
                "SELECT epc AS d FROM units WHERE lot_epc IN ({})",
                placeholders(1, chunk.len())
            );
            let made = format!(
                "SELECT downstream AS d FROM lineage WHERE upstream IN ({}) AND relation IN ('{}', '{}', '{}')",
                placeholders(1, chunk.len()),
                relation::PACKED,
                relation::TRANSFORMED,
                relation::SPLIT
            );
            for sql in [items, made] {
                for r in tx.fetch_all(&sql, &ps).await? {
                    let d = r.text("d")?;
                    if all.insert(d.clone()) {
                        next.push(d);
                    }
                }
            }
        }
        frontier = next;
    }
    Ok(all)
}

/// Marks `epcs` non-conformant with a reason in English and Chinese (added
/// to any reason they already have).
pub(super) async fn mark(tx: &mut Tx, epcs: &BTreeSet<String>, en: &str, zh: &str) -> Result<()> {
    let epcs: Vec<&String> = epcs.iter().collect();
    for chunk in epcs.chunks(400) {
        let mut ps: Vec<Val> = vec![en.into(), zh.into()];
        ps.extend(chunk.iter().map(|s| Val::from(s.as_str())));
        let sql = format!(
            "UPDATE units SET status = 'non_conformant', \
             status_reason = CASE WHEN status_reason IS NULL THEN $1 ELSE status_reason || '; ' || $1 END, \
             status_reason_zh = CASE WHEN status_reason_zh IS NULL THEN $2 ELSE status_reason_zh || '；' || $2 END \
             WHERE epc IN ({})",
            placeholders(3, chunk.len())
        );
        tx.execute(&sql, &ps).await?;
    }
    Ok(())
}
