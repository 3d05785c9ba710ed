//! What an accepted record does to derived state, as one pure function.
//!
//! A stored event changes the platform's derived state: the units it
//! commissions (held by the recorder), lineage edges (packing,
//! transformation, a harvest from its plot and the inputs applied there),
//! custody moved by receipts, shipments, testing entrusted by sampling, and
//! conformance (a failed test, a pre-harvest interval breach, and what is
//! made of non-conformant units).
//!
//! [`effects`] computes those changes from the record ([`Subject`]) and the
//! facts the caller looked up about the state before it ([`Context`]). The
//! store's capture applies them to the database; `suyuan verify` applies
//! them to an in-memory replay of the log and compares. There is no second
//! copy of the rules: both call this function, in log order.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::epcis::{Action, EventType};
use crate::stages::{rules, RecordKind};

/// How one unit relates to the next in lineage.
pub mod relation {
    /// An input of a transformation became (part of) an output.
    pub const TRANSFORMED: &str = "transformed";
    /// A child was packed into a parent (case, pallet).
    pub const PACKED: &str = "packed";
    /// A lot was split into lots (or items).
    pub const SPLIT: &str = "split";
    /// A lot was harvested from a plot.
    pub const GROWN_ON: &str = "grown_on";
    /// An input lot was applied on the plot a lot was harvested from.
    pub const INPUT_APPLIED: &str = "input_applied";
    /// An item belongs to its lot (`units.lot_epc`, not an edge).
    pub const MEMBER_OF: &str = "member_of";
    /// The relations along which non-conformance reaches what is made of a unit.
    pub const MADE_OF: [&str; 3] = [PACKED, TRANSFORMED, SPLIT];
    /// Every relation an edge may carry.
    pub const ALL: [&str; 5] = [TRANSFORMED, PACKED, SPLIT, GROWN_ON, INPUT_APPLIED];

    /// The `'static` name of a stored relation.
    pub fn parse(s: &str) -> Option<&'static str> {
        ALL.into_iter().find(|r| *r == s)
    }
}

/// One lineage edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edge {
    pub upstream: String,
    pub downstream: String,
    pub relation: &'static str,
}

/// A unit an event names: (role, canonical identifier, quantity, unit of measure).
pub type Named = (&'static str, String, Option<f64>, Option<String>);

/// The record kinds of the planting stage a harvest looks back on.
pub const FIELD_KINDS: &[&str] = &[
    "sowing",
    "fertilising",
    "pest_control",
    "irrigation",
    "field_work",
];

/// The facts of an accepted event that its effects depend on.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub event_type: EventType,
    pub action: Option<Action>,
    /// The agricultural record kind, if it is one (not for declarations).
    pub kind: Option<RecordKind>,
    /// The aggregation parent, canonical.
    pub parent: Option<String>,
    /// The bizLocation, canonical (a harvest's plot).
    pub plot: Option<String>,
    /// The units it names, by role, canonical.
    pub units: &'a [Named],
    pub event_time: i64,
    /// `agri:inputLot`, canonical.
    pub input_lot: Option<String>,
    /// `agri:preHarvestIntervalDays`.
    pub phi_days: Option<f64>,
    /// `agri:registrationNumber`.
    pub registration: Option<String>,
    /// A testing record whose conclusion is `fail`.
    pub failed_test: bool,
    /// `agri:sampleId`.
    pub sample_id: Option<String>,
    /// The despatch advice reference (shipping and receiving).
    pub despatch: Option<String>,
}

/// A planting record of a plot, as a harvest's season sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonRecord {
    pub kind: String,
    pub event_time: i64,
    pub input_lot: Option<String>,
    pub phi_days: Option<f64>,
    pub registration: Option<String>,
}

/// What the caller looked up about the state before the event.
pub struct Context<'a> {
    /// A harvest: the plot's planting records of its season (by the recorder).
    pub season: &'a [SeasonRecord],
    /// A planting record other than a sowing: the recorder's harvests on
    /// its plot at or after it, each with its lots.
    pub later_harvests: &'a [(i64, Vec<String>)],
    /// With `later_harvests`: the sowing times of the recorder on the plot.
    pub sowings: &'a [i64],
    /// A shipment: the organisation it is addressed to.
    pub to_org: Option<Uuid>,
    /// A sampling record: the agency testing is entrusted to.
    pub agency: Option<Uuid>,
    /// The recorder's registered name (a failed test names its agency).
    pub recorder_name: &'a str,
    /// Whether a unit is non-conformant now.
    pub nonconformant: &'a dyn Fn(&str) -> bool,
}

/// One change to derived state, in the order it is to be applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A unit comes into being, held and owned by the recorder (a harvested
    /// lot with its plot as origin).
    Register { epc: String, origin: Option<String> },
    /// A unit and everything made of it become non-conformant.
    NonConformant { epc: String, en: String, zh: String },
    /// A lineage edge, kept with the event.
    Edge(Edge),
    /// A despatch from the recorder.
    Ship {
        despatch: String,
        to_org: Option<Uuid>,
        shipped_at: i64,
    },
    /// A receipt: the shipment is received by the recorder, who holds the
    /// units received and everything packed in them, all levels down.
    Receive {
        despatch: String,
        received_at: i64,
        units: Vec<String>,
    },
    /// Testing of a unit is entrusted to an agency.
    Entrust { epc: String, agency: Uuid },
}

fn of_roles(units: &[Named], roles: &[&str]) -> Vec<String> {
    units
        .iter()
        .filter(|u| roles.contains(&u.0))
        .map(|u| u.1.clone())
        .collect()
}

/// The effects of an accepted event (not an error declaration).
pub fn effects(s: &Subject<'_>, c: &Context<'_>) -> Vec<Effect> {
    let mut out = Vec::new();
    let harvest = s.kind == Some(RecordKind::Harvest);
    if matches!(s.action, Some(Action::Add)) && matches!(s.event_type, EventType::Object) || harvest {
        // A harvested lot comes from the plot of the harvest.
        let origin = s.plot.clone().filter(|_| harvest);
        for epc in of_roles(s.units, &["epc", "quantity"]) {
            out.push(Effect::Register {
                epc,
                origin: origin.clone(),
            });
        }
    }
    match s.event_type {
        EventType::Aggregation if matches!(s.action, Some(Action::Add)) => {
            if let Some(parent) = &s.parent {
                out.push(Effect::Register {
                    epc: parent.clone(),
                    origin: None,
                });
                let children = of_roles(s.units, &["child", "child_quantity"]);
                // Packed with something non-conformant: so is the parent.
                if let Some(bad) = children.iter().find(|ch| (c.nonconformant)(ch.as_str())) {
                    out.push(Effect::NonConformant {
                        epc: parent.clone(),
                        en: format!("packed with non-conformant {bad}"),
                        zh: format!("装有不合格的 {bad}"),
                    });
                }
                out.extend(children.into_iter().map(|child| {
                    Effect::Edge(Edge {
                        upstream: child,
                        downstream: parent.clone(),
                        relation: relation::PACKED,
                    })
                }));
            }
        }
        EventType::Transformation => out.extend(transformation(s, c)),
        _ => {}
    }
    match s.kind {
        Some(RecordKind::Harvest) => out.extend(harvested(s, c)),
        Some(k) if k != RecordKind::Sowing && FIELD_KINDS.contains(&k.as_str()) => {
            out.extend(late_record(s, c))
        }
        Some(RecordKind::Testing) if s.failed_test => {
            // Named by the organisation that recorded the test, as
            // registered: never by a name typed into the record.
            let sample = s.sample_id.as_deref().unwrap_or_default();
            let agency = c.recorder_name;
            for epc in of_roles(s.units, &["epc", "quantity"]) {
                out.push(Effect::NonConformant {
                    epc,
                    en: format!("failed test {sample} by {agency}"),
                    zh: format!("检测不合格（样品 {sample}，{agency}）"),
                });
            }
        }
        Some(RecordKind::Shipping) => {
            if let Some(despatch) = &s.despatch {
                out.push(Effect::Ship {
                    despatch: despatch.clone(),
                    to_org: c.to_org,
                    shipped_at: s.event_time,
                });
            }
        }
        Some(RecordKind::Sampling) => {
            if let Some(agency) = c.agency {
                out.extend(
                    of_roles(s.units, &["epc", "quantity"])
                        .into_iter()
                        .map(|epc| Effect::Entrust { epc, agency }),
                );
            }
        }
        Some(RecordKind::Receiving) => {
            if let Some(despatch) = &s.despatch {
                out.push(Effect::Receive {
                    despatch: despatch.clone(),
                    received_at: s.event_time,
                    units: of_roles(s.units, &["epc", "quantity"]),
                });
            }
        }
        _ => {}
    }
    out
}

/// A transformation: outputs registered, made non-conformant when made of
/// something non-conformant, and linked to every input.
fn transformation(s: &Subject<'_>, c: &Context<'_>) -> Vec<Effect> {
    let outputs = of_roles(s.units, &["output", "output_quantity"]);
    let inputs = of_roles(s.units, &["input", "input_quantity"]);
    let mut out: Vec<Effect> = outputs
        .iter()
        .map(|o| Effect::Register {
            epc: o.clone(),
            origin: None,
        })
        .collect();
    if let Some(bad) = inputs.iter().find(|i| (c.nonconformant)(i.as_str())) {
        for o in &outputs {
            out.push(Effect::NonConformant {
                epc: o.clone(),
                en: format!("made from non-conformant {bad}"),
                zh: format!("由不合格的 {bad} 制成"),
            });
        }
    }
    let rel = if inputs.len() == 1 && outputs.len() > 1 {
        relation::SPLIT
    } else {
        relation::TRANSFORMED
    };
    for i in &inputs {
        for o in &outputs {
            out.push(Effect::Edge(Edge {
                upstream: i.clone(),
                downstream: o.clone(),
                relation: rel,
            }));
        }
    }
    out
}

/// The pre-harvest interval breach of a spray at `applied_at` by a harvest
/// at `harvested_at`.
fn breach(
    kind: &str,
    applied_at: i64,
    phi: Option<f64>,
    reg: Option<&str>,
    harvested_at: i64,
) -> Option<(String, String)> {
    if kind != "pest_control" {
        return None;
    }
    rules::pre_harvest_breach(applied_at, harvested_at, phi?, reg.unwrap_or_default())
}

/// A harvest: its lots come from the plot and from every input applied in
/// the season; a spray inside its pre-harvest interval makes them
/// non-conformant.
fn harvested(s: &Subject<'_>, c: &Context<'_>) -> Vec<Effect> {
    let lots = of_roles(s.units, &["epc", "quantity"]);
    let mut out = Vec::new();
    let mut violations = Vec::new();
    for r in c.season {
        if let Some(input) = &r.input_lot {
            for lot in &lots {
                out.push(Effect::Edge(Edge {
                    upstream: input.clone(),
                    downstream: lot.clone(),
                    relation: relation::INPUT_APPLIED,
                }));
            }
        }
        violations.extend(breach(
            &r.kind,
            r.event_time,
            r.phi_days,
            r.registration.as_deref(),
            s.event_time,
        ));
    }
    for lot in &lots {
        if let Some(plot) = s.plot.as_ref().filter(|p| !p.is_empty()) {
            out.push(Effect::Edge(Edge {
                upstream: plot.clone(),
                downstream: lot.clone(),
                relation: relation::GROWN_ON,
            }));
        }
        if !violations.is_empty() {
            let en: Vec<&str> = violations.iter().map(|v| v.0.as_str()).collect();
            let zh: Vec<&str> = violations.iter().map(|v| v.1.as_str()).collect();
            out.push(Effect::NonConformant {
                epc: lot.clone(),
                en: en.join("; "),
                zh: zh.join("；"),
            });
        }
    }
    out
}

/// A planting record dated before harvests already recorded on its plot:
/// for each harvest whose season it falls in, the input it applied reaches
/// the harvested lots, and a spray inside its pre-harvest interval makes
/// them non-conformant.
fn late_record(s: &Subject<'_>, c: &Context<'_>) -> Vec<Effect> {
    let kind = s.kind.map(|k| k.as_str()).unwrap_or_default();
    let mut out = Vec::new();
    for (harvested_at, lots) in c.later_harvests {
        let start = c
            .sowings
            .iter()
            .copied()
            .filter(|t| t <= harvested_at)
            .max()
            .unwrap_or(0);
        if !rules::in_season(s.event_time, start, *harvested_at) {
            continue;
        }
        let violation = breach(
            kind,
            s.event_time,
            s.phi_days,
            s.registration.as_deref(),
            *harvested_at,
        );
        for lot in lots {
            if let Some(input) = &s.input_lot {
                out.push(Effect::Edge(Edge {
                    upstream: input.clone(),
                    downstream: lot.clone(),
                    relation: relation::INPUT_APPLIED,
                }));
            }
            if let Some((en, zh)) = &violation {
                out.push(Effect::NonConformant {
                    epc: lot.clone(),
                    en: en.clone(),
                    zh: zh.clone(),
                });
            }
        }
    }
    out
}

/// The units an effect list makes non-conformant directly (before what is
/// made of them).
pub fn marked(effects: &[Effect]) -> BTreeSet<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::NonConformant { epc, .. } => Some(epc.as_str()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn subject<'a>(kind: RecordKind, units: &'a [Named], t: i64) -> Subject<'a> {
        Subject {
            event_type: EventType::Object,
            action: Some(Action::Observe),
            kind: Some(kind),
            parent: None,
            plot: Some("plot".into()),
            units,
            event_time: t,
            input_lot: None,
            phi_days: None,
            registration: None,
            failed_test: false,
            sample_id: None,
            despatch: None,
        }
    }

    fn context<'a>(season: &'a [SeasonRecord], nc: &'a dyn Fn(&str) -> bool) -> Context<'a> {
        Context {
            season,
            later_harvests: &[],
            sowings: &[],
            to_org: None,
            agency: None,
            recorder_name: "Lab",
            nonconformant: nc,
        }
    }

    fn spray(t: i64, phi: f64) -> SeasonRecord {
        SeasonRecord {
            kind: "pest_control".into(),
            event_time: t,
            input_lot: Some("urn:suyuan:input-lot:1".into()),
            phi_days: Some(phi),
            registration: Some("PD1".into()),
        }
    }

    #[test]
    fn a_harvest_registers_its_lot_from_its_plot_with_the_inputs_of_its_season() {
        let units = [("quantity", "lot".to_string(), Some(1.0), None)];
        let season = [spray(0, 7.0)];
        let no = |_: &str| false;
        let got = effects(
            &subject(RecordKind::Harvest, &units, 10 * DAY),
            &context(&season, &no),
        );
        assert_eq!(
            got[0],
            Effect::Register {
                epc: "lot".into(),
                origin: Some("plot".into())
            }
        );
        assert!(got.contains(&Effect::Edge(Edge {
            upstream: "urn:suyuan:input-lot:1".into(),
            downstream: "lot".into(),
            relation: relation::INPUT_APPLIED
        })));
        assert!(got.contains(&Effect::Edge(Edge {
            upstream: "plot".into(),
            downstream: "lot".into(),
            relation: relation::GROWN_ON
        })));
        assert!(
            marked(&got).is_empty(),
            "10 days after a 7-day interval: conformant"
        );
    }

    #[test]
    fn a_harvest_inside_the_interval_is_non_conformant() {
        let units = [("quantity", "lot".to_string(), Some(1.0), None)];
        let season = [spray(0, 7.0)];
        let no = |_: &str| false;
        let got = effects(
            &subject(RecordKind::Harvest, &units, 3 * DAY),
            &context(&season, &no),
        );
        assert_eq!(marked(&got), BTreeSet::from(["lot"]));
    }

    #[test]
    fn a_late_spray_reaches_the_harvests_of_its_season_only() {
        let units: [Named; 0] = [];
        let mut s = subject(RecordKind::PestControl, &units, 5 * DAY);
        s.input_lot = Some("in".into());
        s.phi_days = Some(7.0);
        s.registration = Some("PD1".into());
        let later = [
            (8 * DAY, vec!["a".to_string()]),
            (30 * DAY, vec!["b".to_string()]),
        ];
        let sowings = [0, 20 * DAY];
        let no = |_: &str| false;
        let c = Context {
            later_harvests: &later,
            sowings: &sowings,
            ..context(&[], &no)
        };
        let got = effects(&s, &c);
        assert_eq!(
            marked(&got),
            BTreeSet::from(["a"]),
            "b was sown again after the spray"
        );
        assert_eq!(got.iter().filter(|e| matches!(e, Effect::Edge(_))).count(), 1);
    }

    #[test]
    fn what_is_packed_with_or_made_of_a_non_conformant_unit_is_non_conformant() {
        let units = [
            ("child", "bad".to_string(), None, None),
            ("child", "good".to_string(), None, None),
        ];
        let nc = |e: &str| e == "bad";
        let mut s = subject(RecordKind::Packing, &units, 0);
        s.event_type = EventType::Aggregation;
        s.action = Some(Action::Add);
        s.parent = Some("case".into());
        let got = effects(&s, &context(&[], &nc));
        assert_eq!(
            got[0],
            Effect::Register {
                epc: "case".into(),
                origin: None
            }
        );
        assert_eq!(marked(&got), BTreeSet::from(["case"]));
        assert_eq!(got.iter().filter(|e| matches!(e, Effect::Edge(_))).count(), 2);

        let units = [
            ("input", "bad".to_string(), None, None),
            ("output", "x".to_string(), None, None),
        ];
        let mut s = subject(RecordKind::Processing, &units, 0);
        s.event_type = EventType::Transformation;
        let got = effects(&s, &context(&[], &nc));
        assert_eq!(marked(&got), BTreeSet::from(["x"]));
        assert!(got.contains(&Effect::Edge(Edge {
            upstream: "bad".into(),
            downstream: "x".into(),
            relation: relation::TRANSFORMED
        })));
    }

    #[test]
    fn a_failed_test_names_the_recorder_and_a_receipt_moves_custody() {
        let units = [("epc", "lot".to_string(), None, None)];
        let mut s = subject(RecordKind::Testing, &units, 0);
        s.failed_test = true;
        s.sample_id = Some("S1".into());
        let no = |_: &str| false;
        let got = effects(&s, &context(&[], &no));
        assert_eq!(
            got,
            vec![Effect::NonConformant {
                epc: "lot".into(),
                en: "failed test S1 by Lab".into(),
                zh: "检测不合格（样品 S1，Lab）".into()
            }]
        );
        let mut s = subject(RecordKind::Receiving, &units, 7);
        s.despatch = Some("D1".into());
        assert_eq!(
            effects(&s, &context(&[], &no)),
            vec![Effect::Receive {
                despatch: "D1".into(),
                received_at: 7,
                units: vec!["lot".into()]
            }]
        );
    }
}
