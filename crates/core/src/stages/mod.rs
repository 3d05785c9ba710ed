//! The agricultural record kinds of across the four stages of,
//! and the profile of required fields each kind of event must carry.
//!
//! Events are EPCIS 2.0 events with CBV vocabulary. What EPCIS does not name
//! (the pesticide's registration number, the pre-harvest interval, the
//! irrigation volume …) travels in our own extension namespace [`AGRI_NS`],
//! written with the prefix `agri:` in JSON-LD. Every event that is one of our
//! record kinds says so in `agri:recordKind`; its profile then lists what it
//! must contain, and an event lacking any of it is refused with the full list.
//! The values of its `agri:*` fields are declared in [`values`]; from both,
//! [`schema`] generates each kind's JSON Schema, which capture validates
//! records against and the server publishes, with an example per kind
//! ([`examples`]).

use crate::model::InputKind;
use crate::Invalid;

pub mod examples;
pub mod rules;
pub mod schema;
pub mod values;

/// Our EPCIS extension namespace (JSON-LD prefix `agri`).
pub const AGRI_NS: &str = "https://suyuan.dev/ns/agri/";
/// The prefix used for [`AGRI_NS`] in our documents.
pub const AGRI_PREFIX: &str = "agri";

macro_rules! vocab {
    ($(#[$m:meta])* $name:ident { $($v:ident = $wire:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $wire),+ } }
            pub fn zh(self) -> &'static str { match self { $($name::$v => $zh),+ } }
            pub fn en(self) -> &'static str { match self { $($name::$v => $en),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($wire => Some($name::$v),)+ _ => None } }
        }
    };
}

vocab!(
    /// The four stages of, plus testing, which may happen at any.
    Stage {
        Planting = "planting", "种植", "Growing";
        PostHarvest = "post_harvest", "采后处理", "Post-harvest handling";
        Testing = "testing", "质量检测", "Quality testing";
        StorageTransport = "storage_transport", "贮运", "Storage and transport";
        Sales = "sales", "销售", "Sales";
    }
);

vocab!(
    /// What an event records.
    RecordKind {
        Sowing = "sowing", "播种/定植", "Sowing / transplanting";
        Fertilising = "fertilising", "施肥", "Fertilising";
        Irrigation = "irrigation", "灌溉", "Irrigation";
        PestControl = "pest_control", "病虫害防治", "Pest and disease control";
        FieldWork = "field_work", "其他农事", "Other field work";
        Harvest = "harvest", "采收", "Harvest";
        Sampling = "sampling", "抽样送检", "Sampling for testing";
        Testing = "testing", "质量检测", "Quality testing";
        Cleaning = "cleaning", "清洗", "Cleaning";
        Grading = "grading", "分级", "Grading";
        PreCooling = "pre_cooling", "预冷", "Pre-cooling";
        Processing = "processing", "加工", "Processing";
        Packing = "packing", "包装", "Packing";
        StorageIn = "storage_in", "入库", "Into storage";
        StorageOut = "storage_out", "出库", "Out of storage";
        Shipping = "shipping", "发运", "Shipping";
        Receiving = "receiving", "收货", "Receiving";
        Sale = "sale", "销售", "Sale";
    }
);

/// The EPCIS event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Object,
    Aggregation,
    Transaction,
    Transformation,
    Association,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Object => "ObjectEvent",
            EventType::Aggregation => "AggregationEvent",
            EventType::Transaction => "TransactionEvent",
            EventType::Transformation => "TransformationEvent",
            EventType::Association => "AssociationEvent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ObjectEvent" => EventType::Object,
            "AggregationEvent" => EventType::Aggregation,
            "TransactionEvent" => EventType::Transaction,
            "TransformationEvent" => EventType::Transformation,
            "AssociationEvent" => EventType::Association,
            _ => return None,
        })
    }
}

/// A field an event must have: a standard EPCIS field (by its JSON key) or
/// one of ours (by its local name in [`AGRI_NS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Std(&'static str),
    Agri(&'static str),
    /// At least one of these standard fields (e.g. `epcList` or `quantityList`).
    AnyStd(&'static [&'static str]),
}

impl Field {
    /// How the field is named in an error message.
    pub fn display(self) -> String {
        match self {
            Field::Std(k) => k.to_owned(),
            Field::Agri(k) => format!("{AGRI_PREFIX}:{k}"),
            Field::AnyStd(ks) => ks.join(" or "),
        }
    }
}

/// What a record kind requires.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub kind: RecordKind,
    pub stage: Stage,
    pub event_type: EventType,
    /// CBV bizStep short names (or full URIs for our own steps), any of which fits.
    pub biz_steps: &'static [&'static str],
    pub required: &'static [Field],
}

use Field::{Agri, AnyStd, Std};

const UNITS: Field = AnyStd(&["epcList", "quantityList"]);

/// The profile of every record kind.
pub const PROFILES: &[Profile] = &[
    Profile {
        kind: RecordKind::Sowing,
        stage: Stage::Planting,
        event_type: EventType::Object,
        biz_steps: &["https://suyuan.dev/ns/agri/bizstep/sowing"],
        required: &[
            Std("bizLocation"),
            Agri("variety"),
            Agri("inputLot"),
            Agri("operator"),
        ],
    },
    Profile {
        kind: RecordKind::Fertilising,
        stage: Stage::Planting,
        event_type: EventType::Object,
        biz_steps: &["https://suyuan.dev/ns/agri/bizstep/fertilising"],
        required: &[
            Std("bizLocation"),
            Agri("inputLot"),
            Agri("dose"),
            Agri("method"),
            Agri("operator"),
        ],
    },
    Profile {
        kind: RecordKind::Irrigation,
        stage: Stage::Planting,
        event_type: EventType::Object,
        biz_steps: &["https://suyuan.dev/ns/agri/bizstep/irrigation"],
        required: &[
            Std("bizLocation"),
            Agri("waterSource"),
            Agri("volume"),
            Agri("operator"),
        ],
    },
    Profile {
        kind: RecordKind::PestControl,
        stage: Stage::Planting,
        event_type: EventType::Object,
        biz_steps: &["https://suyuan.dev/ns/agri/bizstep/pest_control"],
        required: &[
            Std("bizLocation"),
            Agri("inputLot"),
            Agri("registrationNumber"),
            Agri("dose"),
            Agri("method"),
            Agri("target"),
            Agri("preHarvestIntervalDays"),
            Agri("operator"),
        ],
    },
    Profile {
        kind: RecordKind::FieldWork,
        stage: Stage::Planting,
        event_type: EventType::Object,
        biz_steps: &["https://suyuan.dev/ns/agri/bizstep/field_work"],
        required: &[Std("bizLocation"), Agri("operation"), Agri("operator")],
    },
    Profile {
        kind: RecordKind::Harvest,
        stage: Stage::Planting,
        event_type: EventType::Object,
        biz_steps: &["commissioning"],
        required: &[
            Std("bizLocation"),
            Std("quantityList"),
            Agri("harvestMethod"),
            Agri("operator"),
        ],
    },
    Profile {
        kind: RecordKind::Sampling,
        stage: Stage::Testing,
        event_type: EventType::Object,
        biz_steps: &["sampling"],
        required: &[UNITS, Std("destinationList"), Agri("sampleId")],
    },
    Profile {
        kind: RecordKind::Testing,
        stage: Stage::Testing,
        event_type: EventType::Object,
        biz_steps: &["inspecting", "sampling"],
        required: &[
            UNITS,
            Agri("sampleId"),
            Agri("testItems"),
            Agri("conclusion"),
            Agri("agency"),
        ],
    },
    Profile {
        kind: RecordKind::Cleaning,
        stage: Stage::PostHarvest,
        event_type: EventType::Object,
        biz_steps: &["https://suyuan.dev/ns/agri/bizstep/cleaning"],
        required: &[UNITS, Std("bizLocation"), Agri("method")],
    },
    Profile {
        kind: RecordKind::Grading,
        stage: Stage::PostHarvest,
        event_type: EventType::Object,
        biz_steps: &["https://suyuan.dev/ns/agri/bizstep/grading"],
        required: &[UNITS, Std("bizLocation"), Agri("method"), Agri("grade")],
    },
    Profile {
        kind: RecordKind::PreCooling,
        stage: Stage::PostHarvest,
        event_type: EventType::Object,
        biz_steps: &["https://suyuan.dev/ns/agri/bizstep/pre_cooling"],
        required: &[UNITS, Std("bizLocation"), Agri("method"), Agri("temperature")],
    },
    Profile {
        kind: RecordKind::Processing,
        stage: Stage::PostHarvest,
        event_type: EventType::Transformation,
        biz_steps: &["commissioning", "https://suyuan.dev/ns/agri/bizstep/processing"],
        required: &[
            AnyStd(&["inputEPCList", "inputQuantityList"]),
            AnyStd(&["outputEPCList", "outputQuantityList"]),
            Std("bizLocation"),
            Agri("method"),
        ],
    },
    Profile {
        kind: RecordKind::Packing,
        stage: Stage::PostHarvest,
        event_type: EventType::Aggregation,
        biz_steps: &["packing"],
        required: &[
            Std("parentID"),
            AnyStd(&["childEPCs", "childQuantityList"]),
            Std("bizLocation"),
            Agri("method"),
        ],
    },
    Profile {
        kind: RecordKind::StorageIn,
        stage: Stage::StorageTransport,
        event_type: EventType::Object,
        biz_steps: &["storing"],
        required: &[UNITS, Std("bizLocation"), Agri("position"), Agri("conditions")],
    },
    Profile {
        kind: RecordKind::StorageOut,
        stage: Stage::StorageTransport,
        event_type: EventType::Object,
        biz_steps: &["picking", "departing"],
        required: &[UNITS, Std("bizLocation")],
    },
    Profile {
        kind: RecordKind::Shipping,
        stage: Stage::StorageTransport,
        event_type: EventType::Object,
        biz_steps: &["shipping"],
        required: &[
            UNITS,
            Std("bizTransactionList"),
            Std("destinationList"),
            Agri("carrier"),
            Agri("transportMode"),
            Agri("temperatureClass"),
        ],
    },
    Profile {
        kind: RecordKind::Receiving,
        stage: Stage::StorageTransport,
        event_type: EventType::Object,
        biz_steps: &["receiving"],
        required: &[UNITS, Std("bizTransactionList"), Std("bizLocation")],
    },
    Profile {
        kind: RecordKind::Sale,
        stage: Stage::Sales,
        event_type: EventType::Object,
        biz_steps: &["retail_selling", "https://suyuan.dev/ns/agri/bizstep/wholesale"],
        required: &[UNITS, Std("bizLocation"), Agri("channel")],
    },
];

/// The `agri:*` fields a record of `kind` may carry besides its required
/// ones. Every record may carry `agri:note`.
pub fn optional_fields(kind: RecordKind) -> &'static [&'static str] {
    use RecordKind as K;
    match kind {
        K::Sowing | K::Fertilising | K::PestControl => &["inputName", "note"],
        K::Shipping => &["vehicle", "nonConformanceOverride", "note"],
        K::Sale => &["buyer", "nonConformanceOverride", "note"],
        K::StorageOut => &["nonConformanceOverride", "note"],
        _ => &["note"],
    }
}

/// The kind of input a record's `agri:inputLot` must be a purchase of.
pub fn input_kind(kind: RecordKind) -> Option<InputKind> {
    match kind {
        RecordKind::Sowing => Some(InputKind::Seed),
        RecordKind::Fertilising => Some(InputKind::Fertiliser),
        RecordKind::PestControl => Some(InputKind::Pesticide),
        _ => None,
    }
}

/// The `agri:*` fields of a record of `kind`, required first, each with
/// whether it is required.
pub fn agri_fields_of(kind: RecordKind) -> impl Iterator<Item = (&'static str, bool)> {
    let required = profile(kind).required.iter().filter_map(|f| match f {
        Agri(name) => Some((*name, true)),
        _ => None,
    });
    required.chain(optional_fields(kind).iter().map(|n| (*n, false)))
}

/// Checks the values of a record's `agri:*` fields (`fields`: local name and
/// value, `recordKind` excluded) against the kind's JSON Schema
/// ([`schema::record_schema`], the one served to integrators): a field the
/// kind does not have, or a value of the wrong type, is a problem named by
/// its field; for a test, the conclusion must agree with its items. Every
/// problem is returned, not only the first.
pub fn check_record_values<'a>(
    kind: RecordKind,
    fields: impl IntoIterator<Item = (&'a str, &'a serde_json::Value)>,
) -> Vec<(String, Invalid)> {
    schema::check_values(kind, fields)
}

/// The profile of a record kind.
pub fn profile(kind: RecordKind) -> &'static Profile {
    PROFILES.iter().find(|p| p.kind == kind).unwrap_or(&PROFILES[0])
}

/// Checks an event against its kind's profile. `event_type` and `biz_step`
/// are as written in the event (bizStep already expanded to its short CBV
/// name or full URI); `has` answers whether a field is present and non-empty.
/// Returns every problem at once.
pub fn check_profile(
    kind: RecordKind,
    event_type: &str,
    biz_step: Option<&str>,
    has: impl Fn(Field) -> bool,
) -> Result<(), Invalid> {
    let p = profile(kind);
    if EventType::parse(event_type) != Some(p.event_type) {
        return Err(wrong_event_type(kind));
    }
    if biz_step.is_some_and(|step| !p.biz_steps.contains(&step)) {
        return Err(wrong_biz_step(kind));
    }
    let missing: Vec<String> = p
        .required
        .iter()
        .filter(|f| match f {
            AnyStd(ks) => !ks.iter().any(|k| has(Std(k))),
            other => !has(**other),
        })
        .map(|f| f.display())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(lacking(kind, &missing))
    }
}

/// The refusal of a record of `kind` that is not of its event type.
pub(crate) fn wrong_event_type(kind: RecordKind) -> Invalid {
    let ty = profile(kind).event_type.as_str();
    Invalid::new(
        "profile_event_type",
        format!("a {} record is a {ty}", kind.as_str()),
        format!("“{}”记录应为 {ty}", kind.zh()),
    )
}

/// The refusal of a record of `kind` with another bizStep.
pub(crate) fn wrong_biz_step(kind: RecordKind) -> Invalid {
    let steps = profile(kind).biz_steps;
    Invalid::new(
        "profile_biz_step",
        format!("a {} record has bizStep {}", kind.as_str(), steps.join(" or ")),
        format!("“{}”记录的 bizStep 应为 {}", kind.zh(), steps.join(" 或 ")),
    )
}

/// The refusal of a record of `kind` lacking these fields.
pub(crate) fn lacking(kind: RecordKind, missing: &[String]) -> Invalid {
    Invalid::new(
        "profile_missing_fields",
        format!("a {} record lacks: {}", kind.as_str(), missing.join(", ")),
        format!("“{}”记录缺少：{}", kind.zh(), missing.join("、")),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_profile() {
        for k in RecordKind::ALL {
            assert_eq!(PROFILES.iter().filter(|p| p.kind == *k).count(), 1, "{k:?}");
            assert_eq!(RecordKind::parse(k.as_str()), Some(*k));
        }
    }

    #[test]
    fn missing_fields_are_listed_together() {
        let err = check_profile(RecordKind::PestControl, "ObjectEvent", None, |f| {
            matches!(f, Std("bizLocation") | Agri("operator"))
        })
        .unwrap_err();
        assert_eq!(err.code, "profile_missing_fields");
        for f in [
            "agri:inputLot",
            "agri:registrationNumber",
            "agri:preHarvestIntervalDays",
            "agri:target",
        ] {
            assert!(err.en.contains(f), "{}", err.en);
        }
        assert!(!err.en.contains("bizLocation"));
    }

    #[test]
    fn type_and_step_must_fit() {
        let all = |_: Field| true;
        assert!(check_profile(RecordKind::Harvest, "ObjectEvent", Some("commissioning"), all).is_ok());
        assert_eq!(
            check_profile(RecordKind::Harvest, "AggregationEvent", None, all)
                .unwrap_err()
                .code,
            "profile_event_type"
        );
        assert_eq!(
            check_profile(RecordKind::Harvest, "ObjectEvent", Some("shipping"), all)
                .unwrap_err()
                .code,
            "profile_biz_step"
        );
        // Either epcList or quantityList satisfies a units requirement.
        assert!(
            check_profile(RecordKind::StorageOut, "ObjectEvent", Some("picking"), |f| {
                matches!(f, Std("quantityList") | Std("bizLocation"))
            })
            .is_ok()
        );
    }
}
