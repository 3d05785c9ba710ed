//! Pure rules over the facts of records, decided without a database: the
//! store fetches the facts, these functions decide. Each refusal names the
//! field it concerns and the rule, in English and Chinese.

use uuid::Uuid;

use crate::Invalid;

/// A refusal: the field and the rule broken.
pub type Refusal = (&'static str, Invalid);

/// No harvest before the plot was sown. `sowings`: the times of the
/// plot's sowings. Returns the start of the harvest's season: the last
/// sowing before it, or 0 when none was recorded.
pub fn harvest_season(sowings: &[i64], harvested_at: i64) -> Result<i64, Refusal> {
    if !sowings.is_empty() && sowings.iter().all(|&t| t > harvested_at) {
        return Err((
            "eventTime",
            Invalid::new(
                "harvest_before_sowing",
                "a plot cannot be harvested before it was sown",
                "地块不能在播种之前采收",
            ),
        ));
    }
    Ok(sowings
        .iter()
        .copied()
        .filter(|&t| t <= harvested_at)
        .max()
        .unwrap_or(0))
}

/// Nothing leaves (is shipped or sold) before it was packed: `packed_later`
/// is whether a packing record names the unit after this time.
pub fn not_before_packing(epc: &str, packed_later: bool) -> Result<(), Refusal> {
    if packed_later {
        return Err((
            "eventTime",
            Invalid::new(
                "before_packing",
                format!("{epc} is recorded as packed after this time"),
                format!("{epc} 的包装记录晚于此时间"),
            ),
        ));
    }
    Ok(())
}

/// A shipment names its despatch advice, not one already shipped.
pub fn despatch_free(despatch: Option<&str>, taken: bool) -> Result<(), Refusal> {
    let Some(_) = despatch else {
        return Err((
            "bizTransactionList",
            Invalid::new(
                "despatch_ref_required",
                "a shipment names its despatch advice (desadv)",
                "发运须注明发货单（desadv）",
            ),
        ));
    };
    if taken {
        return Err((
            "bizTransactionList",
            Invalid::new(
                "despatch_ref_taken",
                "this despatch reference was already shipped",
                "该发货单号已被使用",
            ),
        ));
    }
    Ok(())
}

/// What a receipt is checked against: the shipment with its despatch
/// reference, as stored.
#[derive(Debug, Clone)]
pub struct ShipmentFacts<'a> {
    pub to_org: Option<Uuid>,
    pub received: bool,
    pub shipped_at: i64,
    /// What was shipped (and what is packed in it).
    pub contents: &'a [String],
}

/// A receipt against its shipment: the shipment exists, was not received
/// yet, is addressed to the receiver, holds every unit received (`units`:
/// role field and identifier), and left before it arrives.
pub fn receipt_against(
    shipment: Option<&ShipmentFacts<'_>>,
    receiver: Uuid,
    units: &[(&'static str, &str)],
    received_at: i64,
) -> Result<(), Refusal> {
    let field = "bizTransactionList";
    let Some(s) = shipment else {
        return Err((
            field,
            Invalid::new(
                "despatch_unknown",
                "no shipment has this despatch reference",
                "没有该发货单号的发运记录",
            ),
        ));
    };
    if s.received {
        return Err((
            field,
            Invalid::new(
                "already_received",
                "this shipment was already received",
                "该批发运已收货",
            ),
        ));
    }
    if s.to_org != Some(receiver) {
        return Err((
            field,
            Invalid::new(
                "not_the_receiver",
                "this shipment is addressed to another organisation",
                "该批货物的收货方是其他机构",
            ),
        ));
    }
    if let Some((role, epc)) = units.iter().find(|(_, epc)| !s.contents.iter().any(|c| c == epc)) {
        return Err((
            role,
            Invalid::new(
                "not_in_shipment",
                format!("{epc} is not part of the shipment being received"),
                format!("{epc} 不在所收的这批货物之中"),
            ),
        ));
    }
    if received_at < s.shipped_at {
        return Err((
            "eventTime",
            Invalid::new(
                "received_before_shipped",
                "goods cannot arrive before they left",
                "收货时间不能早于发货时间",
            ),
        ));
    }
    Ok(())
}

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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn harvests_and_their_seasons() {
        assert_eq!(harvest_season(&[], 10).unwrap(), 0);
        assert_eq!(harvest_season(&[2, 5, 20], 10).unwrap(), 5);
        assert_eq!(
            harvest_season(&[20], 10).unwrap_err().1.code,
            "harvest_before_sowing"
        );
    }

    #[test]
    fn despatches_and_packing() {
        assert_eq!(
            despatch_free(None, false).unwrap_err().1.code,
            "despatch_ref_required"
        );
        assert_eq!(
            despatch_free(Some("D1"), true).unwrap_err().1.code,
            "despatch_ref_taken"
        );
        assert!(despatch_free(Some("D1"), false).is_ok());
        assert_eq!(
            not_before_packing("x", true).unwrap_err().1.code,
            "before_packing"
        );
        assert!(not_before_packing("x", false).is_ok());
    }

    #[test]
    fn receipts_against_their_shipment() {
        let (me, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let contents = vec!["a".to_owned(), "b".to_owned()];
        let s = ShipmentFacts {
            to_org: Some(me),
            received: false,
            shipped_at: 10,
            contents: &contents,
        };
        let code = |r: Result<(), Refusal>| r.unwrap_err().1.code;
        assert!(receipt_against(Some(&s), me, &[("epcList", "a")], 11).is_ok());
        assert_eq!(code(receipt_against(None, me, &[], 11)), "despatch_unknown");
        assert_eq!(
            code(receipt_against(Some(&s), other, &[], 11)),
            "not_the_receiver"
        );
        assert_eq!(
            code(receipt_against(Some(&s), me, &[("epcList", "c")], 11)),
            "not_in_shipment"
        );
        assert_eq!(
            code(receipt_against(Some(&s), me, &[], 9)),
            "received_before_shipped"
        );
        let done = ShipmentFacts {
            received: true,
            ..s.clone()
        };
        assert_eq!(
            code(receipt_against(Some(&done), me, &[], 11)),
            "already_received"
        );
    }

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
