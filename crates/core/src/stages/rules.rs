//! Pure rules over the facts of records, decided without a database: the
//! store fetches the facts, these functions decide.

/// Milliseconds in a day.
const DAY_MS: f64 = 86_400_000.0;

/// A harvest `harvested_at` (ms) after applying a pesticide registered as
/// `registration` with a pre-harvest interval of `phi_days` at `applied_at`
/// (ms): the breach, in English and Chinese, if the interval was not kept.
/// A spray recorded after the harvest it precedes counts the same.
pub fn pre_harvest_breach(
    applied_at: i64,
    harvested_at: i64,
    phi_days: f64,
    registration: &str,
) -> Option<(String, String)> {
    let waited = (harvested_at - applied_at) as f64 / DAY_MS;
    (waited >= 0.0 && waited < phi_days).then(|| {
        (
            format!("harvested {waited:.1} days after applying {registration} (pre-harvest interval {phi_days} days)"),
            format!("施用 {registration} 后 {waited:.1} 天即采收（安全间隔期 {phi_days} 天）"),
        )
    })
}

/// Whether a planting record at `record_at` belongs to the season of a
/// harvest at `harvested_at` whose season began at `season_start` (the last
/// sowing before the harvest, or 0 when none was recorded).
pub fn in_season(record_at: i64, season_start: i64, harvested_at: i64) -> bool {
    record_at >= season_start && record_at <= harvested_at
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn the_interval_is_kept_or_breached() {
        let (en, zh) = pre_harvest_breach(0, 3 * DAY, 7.0, "PD20080005").unwrap_or_default();
        assert!(en.contains("3.0 days") && en.contains("7 days"), "{en}");
        assert!(zh.contains("PD20080005"), "{zh}");
        assert!(pre_harvest_breach(0, 7 * DAY, 7.0, "PD20080005").is_none());
        // A spray after the harvest does not concern it.
        assert!(pre_harvest_breach(5 * DAY, 3 * DAY, 7.0, "PD20080005").is_none());
    }

    #[test]
    fn seasons() {
        assert!(in_season(5, 1, 10));
        assert!(!in_season(0, 1, 10));
        assert!(!in_season(11, 1, 10));
    }
}
