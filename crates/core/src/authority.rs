//! Who may write what: the one authority model every captured event passes,
//! whatever its form (a plain EPCIS event or an agricultural record) and
//! whichever way it arrives (API, CLI, a device).
//!
//! The store gathers the facts ([`UnitFacts`], the owner of a place) from
//! what is *stored*; these functions decide. Nothing an event says about
//! itself grants authority: who holds a unit, who owns its GS1 key, which
//! shipment is addressed to whom and which tests were entrusted to which
//! agency all come from earlier records.
//!
//! | who | may |
//! |---|---|
//! | an organisation not yet verified, or suspended | record nothing (it may prepare master data) |
//! | the platform operator | record nothing: it administers, it does not trade |
//! | a user whose role cannot record (viewer) | record nothing |
//! | the owner of a unit's GS1 key (its verified company prefix, else its registered product) | commission the unit (ObjectEvent ADD, harvest, AggregationEvent ADD's new parent, TransformationEvent outputs); a key nobody owns may be commissioned by any verified organisation |
//! | the holder of a unit | record anything on it (observe, aggregate, transform, ship, delete, sample for testing, declare its own events wrong) |
//! | the receiver of a shipment (the organisation it is addressed to, directly or through one of its registered places) | the receipt (`receiving` record) of what the shipment holds; custody moves only then |
//! | a verified testing agency | inspection records (`testing`, or a plain OBSERVE with bizStep `inspecting`) on units it holds or that their holder, or an officer, entrusted to it by a `sampling` record |
//! | a regulator's officer | inspection and `sampling` records on units held by organisations inside its jurisdiction |
//! | anyone else | nothing on another organisation's units; an event at another organisation's registered place (bizLocation, readPoint) only as an inspection |
//!
//! A unit unknown to the platform may be named by a plain event only when
//! its GS1 key is the caller's or nobody's; agricultural records name only
//! units that exist (or that they create).

use uuid::Uuid;

use crate::epcis::{Action, EventType};
use crate::model::{OrgKind, OrgStatus, Role};
use crate::stages::RecordKind;
use crate::Invalid;

/// The organisation and user behind an event.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub org: Uuid,
    pub kind: OrgKind,
    pub status: OrgStatus,
    pub role: Role,
    /// Officers: the region-code prefix they oversee.
    pub jurisdiction: Option<&'a str>,
}

impl Actor<'_> {
    fn is_officer(&self) -> bool {
        self.kind == OrgKind::Regulator && self.role == Role::Officer && self.jurisdiction.is_some()
    }

    fn oversees(&self, region: Option<&str>) -> bool {
        match (self.is_officer().then_some(self.jurisdiction).flatten(), region) {
            (Some(j), Some(r)) => r.starts_with(j),
            _ => false,
        }
    }
}

/// How an event names a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitRole {
    Epc,
    Quantity,
    Child,
    ChildQuantity,
    Input,
    InputQuantity,
    Output,
    OutputQuantity,
    Parent,
}

impl UnitRole {
    pub const ALL: [UnitRole; 9] = [
        UnitRole::Epc,
        UnitRole::Quantity,
        UnitRole::Child,
        UnitRole::ChildQuantity,
        UnitRole::Input,
        UnitRole::InputQuantity,
        UnitRole::Output,
        UnitRole::OutputQuantity,
        UnitRole::Parent,
    ];

    /// The role of a stored name (`event_epcs.role`).
    pub fn parse(s: &str) -> Option<UnitRole> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The name stored in `event_epcs.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitRole::Epc => "epc",
            UnitRole::Quantity => "quantity",
            UnitRole::Child => "child",
            UnitRole::ChildQuantity => "child_quantity",
            UnitRole::Input => "input",
            UnitRole::InputQuantity => "input_quantity",
            UnitRole::Output => "output",
            UnitRole::OutputQuantity => "output_quantity",
            UnitRole::Parent => "parent",
        }
    }

    /// The EPCIS field that holds it.
    pub fn field(self) -> &'static str {
        match self {
            UnitRole::Epc => "epcList",
            UnitRole::Quantity => "quantityList",
            UnitRole::Child => "childEPCs",
            UnitRole::ChildQuantity => "childQuantityList",
            UnitRole::Input => "inputEPCList",
            UnitRole::InputQuantity => "inputQuantityList",
            UnitRole::Output => "outputEPCList",
            UnitRole::OutputQuantity => "outputQuantityList",
            UnitRole::Parent => "parentID",
        }
    }
}

/// What an event is, as far as authority goes.
#[derive(Debug, Clone, Copy)]
pub struct EventShape<'a> {
    pub event_type: EventType,
    pub action: Option<Action>,
    pub record_kind: Option<RecordKind>,
    /// The bizStep, compacted to its CBV short name where it has one.
    pub biz_step: Option<&'a str>,
}

/// What an event does to one unit it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Brings the unit into being (or announces it, when it is the caller's already).
    Commission,
    /// Records on it: the holder's business.
    Record,
    /// The receipt of a shipment addressed to the caller.
    Receive,
    /// An inspection record (a test, an officer's inspection).
    Inspect,
    /// A `sampling` record: entrusts the unit's testing to an agency.
    Entrust,
}

impl EventShape<'_> {
    /// Does the event create the units it names in `role`?
    pub fn creates(&self, role: UnitRole) -> bool {
        use UnitRole::*;
        match self.event_type {
            EventType::Object => {
                (self.action == Some(Action::Add) || self.record_kind == Some(RecordKind::Harvest))
                    && matches!(role, Epc | Quantity)
            }
            EventType::Aggregation => self.action == Some(Action::Add) && role == Parent,
            EventType::Transformation => matches!(role, Output | OutputQuantity),
            EventType::Transaction | EventType::Association => false,
        }
    }

    /// Is this an inspection record?
    pub fn is_inspection(&self) -> bool {
        match self.record_kind {
            Some(kind) => kind == RecordKind::Testing,
            None => {
                self.event_type == EventType::Object
                    && self.action == Some(Action::Observe)
                    && self.biz_step == Some("inspecting")
            }
        }
    }

    /// What the event does to a unit it names in `role`.
    pub fn act(&self, role: UnitRole) -> Act {
        if self.creates(role) {
            Act::Commission
        } else if self.record_kind == Some(RecordKind::Receiving) {
            Act::Receive
        } else if self.record_kind == Some(RecordKind::Sampling) {
            Act::Entrust
        } else if self.is_inspection() {
            Act::Inspect
        } else {
            Act::Record
        }
    }
}

/// What the store knows of a unit an event names, before the event.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitFacts<'a> {
    /// The organisation holding it; `None` when the platform does not know it.
    pub holder: Option<Uuid>,
    /// The region code of the holder (for officers' jurisdiction).
    pub holder_region: Option<&'a str>,
    /// The owner of its GS1 key, when anyone owns it.
    pub key_owner: Option<Uuid>,
    /// Its GTIN is a product its owner deactivated: no new unit of it.
    pub key_retired: bool,
    /// It is in a shipment addressed to the caller, not yet received.
    pub addressed_to_actor: bool,
    /// Its holder or an officer entrusted its testing to the caller.
    pub entrusted_to_actor: bool,
}

/// May the actor capture events at all?
pub fn may_capture(actor: &Actor<'_>) -> Result<(), Invalid> {
    if actor.kind == OrgKind::PlatformOperator {
        return Err(Invalid::new(
            "operator_cannot_record",
            "the platform operator administers the platform and records nothing in the trace",
            "平台运营方只做平台管理，不能记录追溯信息",
        ));
    }
    match actor.status {
        OrgStatus::Verified => {}
        OrgStatus::Pending => {
            return Err(Invalid::new(
                "organisation_not_verified",
                "your organisation is not verified yet: it may prepare its master data but record nothing until the operator verifies it",
                "贵机构尚未通过审核：审核通过前可准备基础信息，但不能记录追溯信息",
            ))
        }
        OrgStatus::Suspended => {
            return Err(Invalid::new(
                "organisation_suspended",
                "your organisation is suspended and may not record",
                "贵机构已被暂停，不能记录",
            ))
        }
    }
    if !(actor.role.can_record() || actor.is_officer()) {
        return Err(Invalid::new(
            "role_cannot_record",
            format!("the role {} may not record", actor.role),
            format!("角色“{}”不能记录", actor.role.zh()),
        ));
    }
    Ok(())
}

/// May the actor's event do what it does to a unit it names?
/// `is_record`: the event is an agricultural record (which names only units
/// that exist or that it creates).
pub fn check_unit(
    actor: &Actor<'_>,
    shape: &EventShape<'_>,
    role: UnitRole,
    epc: &str,
    facts: &UnitFacts<'_>,
) -> Result<(), Invalid> {
    let act = shape.act(role);
    let Some(holder) = facts.holder else {
        return unknown_unit(actor, act, shape.record_kind.is_some(), epc, facts);
    };
    let own = holder == actor.org;
    let allowed = match act {
        Act::Commission | Act::Record => own,
        Act::Receive => facts.addressed_to_actor,
        Act::Inspect => {
            own || actor.oversees(facts.holder_region)
                || actor.kind == OrgKind::TestingAgency && facts.entrusted_to_actor
        }
        Act::Entrust => own || actor.oversees(facts.holder_region),
    };
    if allowed {
        return Ok(());
    }
    Err(match act {
        Act::Commission => Invalid::new(
            "unit_not_held",
            format!("{epc} already exists and is held by another organisation"),
            format!("{epc} 已存在，且由其他机构持有"),
        ),
        Act::Receive => Invalid::new(
            "not_addressed_to_you",
            format!("{epc} is not in a shipment addressed to your organisation that awaits receipt"),
            format!("{epc} 不在发给贵机构且待收货的货物之中"),
        ),
        Act::Inspect => Invalid::new(
            "inspection_not_entrusted",
            format!(
                "{epc} is held by another organisation that has not entrusted its testing to you \
                 (a sampling record naming your organisation), nor is it in your jurisdiction"
            ),
            format!("{epc} 由其他机构持有，其未委托贵机构检测（抽样记录），也不在贵方管辖范围内"),
        ),
        Act::Entrust => Invalid::new(
            "unit_not_held",
            format!("{epc} is held by another organisation; only its holder or an officer in whose jurisdiction it is may have it sampled"),
            format!("{epc} 由其他机构持有，只有持有者或辖区监管人员可以抽样"),
        ),
        Act::Record => Invalid::new(
            "unit_not_held",
            format!("{epc} is held by another organisation; only its holder records on it"),
            format!("{epc} 由其他机构持有，只有持有者可以记录"),
        ),
    })
}

/// A unit the platform does not know yet.
fn unknown_unit(
    actor: &Actor<'_>,
    act: Act,
    is_record: bool,
    epc: &str,
    facts: &UnitFacts<'_>,
) -> Result<(), Invalid> {
    let key_ok = facts.key_owner.is_none_or(|o| o == actor.org);
    if act == Act::Commission || !is_record {
        if key_ok && facts.key_retired {
            return Err(Invalid::new(
                "product_deactivated",
                format!("{epc} is of a product its owner deactivated: no new unit of it is created"),
                format!("{epc} 属于已停用的产品，不能再创建新的追溯单元"),
            ));
        }
        if key_ok {
            return Ok(());
        }
        return Err(Invalid::new(
            "gs1_key_not_yours",
            format!("{epc} is under a GS1 key (company prefix or product) that another organisation owns; only its owner may create or name it"),
            format!("{epc} 属于其他机构拥有的 GS1 编码（厂商识别代码或产品），只有其所有者可以创建或引用"),
        ));
    }
    Err(Invalid::new(
        "unit_unknown",
        format!("{epc} is not a unit known to the platform"),
        format!("{epc} 不是平台已知的追溯单元"),
    ))
}

/// May the actor's event name a place (bizLocation or readPoint) that
/// `owner` registered (`None`: not a registered place)?
pub fn check_place(actor: &Actor<'_>, shape: &EventShape<'_>, owner: Option<Uuid>) -> Result<(), Invalid> {
    match owner {
        None => Ok(()),
        Some(o) if o == actor.org => Ok(()),
        Some(_) if shape.is_inspection() || shape.record_kind == Some(RecordKind::Sampling) => {
            if actor.kind == OrgKind::TestingAgency || actor.is_officer() {
                Ok(())
            } else {
                Err(not_your_place())
            }
        }
        Some(_) => Err(not_your_place()),
    }
}

fn not_your_place() -> Invalid {
    Invalid::new(
        "place_not_yours",
        "this place is registered by another organisation; record events at your own places",
        "该场所由其他机构登记，请在本机构的场所记录",
    )
}

/// May a `sampling` record entrust testing to the organisation of `kind`
/// and `status` it names as its destination?
pub fn check_entrusted_agency(kind: Option<OrgKind>, status: Option<OrgStatus>) -> Result<(), Invalid> {
    if kind == Some(OrgKind::TestingAgency) && status == Some(OrgStatus::Verified) {
        return Ok(());
    }
    Err(Invalid::new(
        "agency_not_verified",
        "a sample is entrusted to a verified testing agency, named in destinationList as urn:suyuan:org:{id}",
        "样品须委托给已认证的检测机构（在 destinationList 中以 urn:suyuan:org:{id} 指明）",
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn id(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    fn actor(kind: OrgKind, status: OrgStatus, role: Role) -> Actor<'static> {
        Actor {
            org: id(1),
            kind,
            status,
            role,
            jurisdiction: None,
        }
    }

    fn producer() -> Actor<'static> {
        actor(OrgKind::Producer, OrgStatus::Verified, Role::Recorder)
    }

    fn plain(event_type: EventType, action: Option<Action>) -> EventShape<'static> {
        EventShape {
            event_type,
            action,
            record_kind: None,
            biz_step: None,
        }
    }

    fn record(kind: RecordKind, event_type: EventType, action: Option<Action>) -> EventShape<'static> {
        EventShape {
            event_type,
            action,
            record_kind: Some(kind),
            biz_step: None,
        }
    }

    fn held_by(n: u8) -> UnitFacts<'static> {
        UnitFacts {
            holder: Some(id(n)),
            ..UnitFacts::default()
        }
    }

    #[test]
    fn only_verified_recorders_capture() {
        assert!(may_capture(&producer()).is_ok());
        for (status, code) in [
            (OrgStatus::Pending, "organisation_not_verified"),
            (OrgStatus::Suspended, "organisation_suspended"),
        ] {
            let e = may_capture(&actor(OrgKind::Producer, status, Role::OrgAdmin)).unwrap_err();
            assert_eq!(e.code, code);
        }
        let op = actor(OrgKind::PlatformOperator, OrgStatus::Verified, Role::OrgAdmin);
        assert_eq!(may_capture(&op).unwrap_err().code, "operator_cannot_record");
        let viewer = actor(OrgKind::Producer, OrgStatus::Verified, Role::Viewer);
        assert_eq!(may_capture(&viewer).unwrap_err().code, "role_cannot_record");
        let mut officer = actor(OrgKind::Regulator, OrgStatus::Verified, Role::Officer);
        officer.jurisdiction = Some("5101");
        assert!(may_capture(&officer).is_ok());
    }

    #[test]
    fn what_an_event_does_to_each_role() {
        let add = plain(EventType::Object, Some(Action::Add));
        assert_eq!(add.act(UnitRole::Epc), Act::Commission);
        assert_eq!(
            plain(EventType::Object, Some(Action::Observe)).act(UnitRole::Epc),
            Act::Record
        );
        assert_eq!(
            plain(EventType::Object, Some(Action::Delete)).act(UnitRole::Epc),
            Act::Record
        );
        let pack = plain(EventType::Aggregation, Some(Action::Add));
        assert_eq!(pack.act(UnitRole::Parent), Act::Commission);
        assert_eq!(pack.act(UnitRole::Child), Act::Record);
        let unpack = plain(EventType::Aggregation, Some(Action::Delete));
        assert_eq!(unpack.act(UnitRole::Parent), Act::Record);
        let tf = plain(EventType::Transformation, None);
        assert_eq!(tf.act(UnitRole::Input), Act::Record);
        assert_eq!(tf.act(UnitRole::OutputQuantity), Act::Commission);
        let harvest = record(RecordKind::Harvest, EventType::Object, Some(Action::Add));
        assert_eq!(harvest.act(UnitRole::Quantity), Act::Commission);
        let receipt = record(RecordKind::Receiving, EventType::Object, Some(Action::Observe));
        assert_eq!(receipt.act(UnitRole::Epc), Act::Receive);
        let test = record(RecordKind::Testing, EventType::Object, Some(Action::Observe));
        assert_eq!(test.act(UnitRole::Quantity), Act::Inspect);
        let sampling = record(RecordKind::Sampling, EventType::Object, Some(Action::Observe));
        assert_eq!(sampling.act(UnitRole::Epc), Act::Entrust);
        let mut inspecting = plain(EventType::Object, Some(Action::Observe));
        inspecting.biz_step = Some("inspecting");
        assert_eq!(inspecting.act(UnitRole::Epc), Act::Inspect);
    }

    #[test]
    fn only_the_holder_records_and_nobody_commissions_anothers_unit() {
        let me = producer();
        for shape in [
            plain(EventType::Object, Some(Action::Add)),
            plain(EventType::Object, Some(Action::Observe)),
            plain(EventType::Object, Some(Action::Delete)),
            plain(EventType::Transaction, Some(Action::Add)),
            record(RecordKind::Shipping, EventType::Object, Some(Action::Observe)),
        ] {
            assert!(check_unit(&me, &shape, UnitRole::Epc, "x", &held_by(1)).is_ok());
            let e = check_unit(&me, &shape, UnitRole::Epc, "x", &held_by(2)).unwrap_err();
            assert_eq!(e.code, "unit_not_held", "{shape:?}");
        }
        let tf = plain(EventType::Transformation, None);
        let e = check_unit(&me, &tf, UnitRole::Input, "x", &held_by(2)).unwrap_err();
        assert_eq!(e.code, "unit_not_held");
    }

    #[test]
    fn unknown_units_need_the_key() {
        let me = producer();
        let add = plain(EventType::Object, Some(Action::Add));
        let observe = plain(EventType::Object, Some(Action::Observe));
        let nobodys = UnitFacts::default();
        let mine = UnitFacts {
            key_owner: Some(id(1)),
            ..UnitFacts::default()
        };
        let theirs = UnitFacts {
            key_owner: Some(id(2)),
            ..UnitFacts::default()
        };
        let retired = UnitFacts {
            key_retired: true,
            ..mine
        };
        for shape in [add, observe] {
            let e = check_unit(&me, &shape, UnitRole::Epc, "x", &retired).unwrap_err();
            assert_eq!(e.code, "product_deactivated");
            assert!(check_unit(&me, &shape, UnitRole::Epc, "x", &nobodys).is_ok());
            assert!(check_unit(&me, &shape, UnitRole::Epc, "x", &mine).is_ok());
            let e = check_unit(&me, &shape, UnitRole::Epc, "x", &theirs).unwrap_err();
            assert_eq!(e.code, "gs1_key_not_yours");
        }
        // A record names only what exists, or what it creates.
        let storing = record(RecordKind::StorageIn, EventType::Object, Some(Action::Observe));
        let e = check_unit(&me, &storing, UnitRole::Epc, "x", &mine).unwrap_err();
        assert_eq!(e.code, "unit_unknown");
        let harvest = record(RecordKind::Harvest, EventType::Object, Some(Action::Add));
        assert!(check_unit(&me, &harvest, UnitRole::Quantity, "x", &mine).is_ok());
        let e = check_unit(&me, &harvest, UnitRole::Quantity, "x", &theirs).unwrap_err();
        assert_eq!(e.code, "gs1_key_not_yours");
    }

    #[test]
    fn receipts_need_a_shipment_addressed_to_the_receiver() {
        let me = producer();
        let receipt = record(RecordKind::Receiving, EventType::Object, Some(Action::Observe));
        let e = check_unit(&me, &receipt, UnitRole::Epc, "x", &held_by(2)).unwrap_err();
        assert_eq!(e.code, "not_addressed_to_you");
        let addressed = UnitFacts {
            addressed_to_actor: true,
            ..held_by(2)
        };
        assert!(check_unit(&me, &receipt, UnitRole::Epc, "x", &addressed).is_ok());
    }

    #[test]
    fn inspections_need_entrustment_or_jurisdiction() {
        let lab = Actor {
            kind: OrgKind::TestingAgency,
            ..producer()
        };
        let test = record(RecordKind::Testing, EventType::Object, Some(Action::Observe));
        let e = check_unit(&lab, &test, UnitRole::Quantity, "x", &held_by(2)).unwrap_err();
        assert_eq!(e.code, "inspection_not_entrusted");
        let entrusted = UnitFacts {
            entrusted_to_actor: true,
            ..held_by(2)
        };
        assert!(check_unit(&lab, &test, UnitRole::Quantity, "x", &entrusted).is_ok());
        // A producer entrusted with nothing it is not: no inspecting of others.
        let e = check_unit(&producer(), &test, UnitRole::Quantity, "x", &entrusted).unwrap_err();
        assert_eq!(e.code, "inspection_not_entrusted");
        // Entrusting is not a licence for anything else.
        let storing = record(RecordKind::StorageIn, EventType::Object, Some(Action::Observe));
        assert!(check_unit(&lab, &storing, UnitRole::Epc, "x", &entrusted).is_err());

        let officer = Actor {
            kind: OrgKind::Regulator,
            role: Role::Officer,
            jurisdiction: Some("5101"),
            ..producer()
        };
        let inside = UnitFacts {
            holder_region: Some("510115"),
            ..held_by(2)
        };
        let outside = UnitFacts {
            holder_region: Some("110105"),
            ..held_by(2)
        };
        let sampling = record(RecordKind::Sampling, EventType::Object, Some(Action::Observe));
        for shape in [test, sampling] {
            assert!(check_unit(&officer, &shape, UnitRole::Epc, "x", &inside).is_ok());
            assert!(check_unit(&officer, &shape, UnitRole::Epc, "x", &outside).is_err());
        }
        // An officer inspects; it does not trade.
        assert!(check_unit(&officer, &storing, UnitRole::Epc, "x", &inside).is_err());
        // The holder samples its own; nobody else's.
        assert!(check_unit(&producer(), &sampling, UnitRole::Epc, "x", &held_by(1)).is_ok());
        assert!(check_unit(&producer(), &sampling, UnitRole::Epc, "x", &held_by(2)).is_err());
    }

    #[test]
    fn places_of_others_only_for_inspections() {
        let me = producer();
        let observe = plain(EventType::Object, Some(Action::Observe));
        assert!(check_place(&me, &observe, None).is_ok());
        assert!(check_place(&me, &observe, Some(id(1))).is_ok());
        assert_eq!(
            check_place(&me, &observe, Some(id(2))).unwrap_err().code,
            "place_not_yours"
        );
        let test = record(RecordKind::Testing, EventType::Object, Some(Action::Observe));
        assert!(check_place(&me, &test, Some(id(2))).is_err());
        let lab = Actor {
            kind: OrgKind::TestingAgency,
            ..producer()
        };
        assert!(check_place(&lab, &test, Some(id(2))).is_ok());
    }

    #[test]
    fn samples_go_to_verified_agencies() {
        assert!(check_entrusted_agency(Some(OrgKind::TestingAgency), Some(OrgStatus::Verified)).is_ok());
        for (k, s) in [
            (Some(OrgKind::TestingAgency), Some(OrgStatus::Pending)),
            (Some(OrgKind::Producer), Some(OrgStatus::Verified)),
            (None, None),
        ] {
            assert_eq!(
                check_entrusted_agency(k, s).unwrap_err().code,
                "agency_not_verified"
            );
        }
    }
}
