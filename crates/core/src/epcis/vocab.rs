//! CBV 2.0 and GS1 Web Vocabulary words used as EPCIS field values, and their
//! three spellings.
//!
//! A standard value has a bare word (`shipping`, the JSON form the EPCIS 2.0
//! schema asks for), a Web URI (`https://ref.gs1.org/cbv/BizStep-shipping`,
//! the canonical form used by the event hash and by JSON-LD), and for the
//! vocabularies that existed in CBV 1.x an URN (`urn:epcglobal:cbv:bizstep:shipping`,
//! the XML 1.x form). JSON-LD also allows the compact IRI
//! (`cbv:BizStep-shipping`, `gs1:Temperature`). [`Vocabulary::word`] accepts
//! all four spellings; [`Vocabulary::expand`] returns the Web URI and
//! [`Vocabulary::compact`] the bare word.
//!
//! The word lists are those of the JSON-LD context
//! `https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld` (and the
//! matching `cbv-context-*.jsonld` / `gs1-context-*.jsonld` files); a test
//! compares them with the files when the reference folder is present.

/// The vocabularies whose values EPCIS 2.0 JSON writes as bare words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vocabulary {
    /// `bizStep` (CBV `BizStep-`).
    BizStep,
    /// `disposition` and `persistentDisposition` (CBV `Disp-`).
    Disposition,
    /// `bizTransactionList[].type` (CBV `BTT-`).
    BizTransactionType,
    /// `sourceList[].type` and `destinationList[].type` (CBV `SDT-`).
    SourceDestType,
    /// `errorDeclaration.reason` (CBV `ER-`).
    ErrorReason,
    /// `sensorReport[].type` (GS1 Web Vocabulary measurement types).
    MeasurementType,
    /// `sensorReport[].exception` (GS1 Web Vocabulary sensor alert types).
    SensorAlertType,
    /// `sensorReport[].component` (CBV `Comp-`).
    Component,
}

impl Vocabulary {
    /// Every vocabulary.
    pub const ALL: [Vocabulary; 8] = [
        Self::BizStep,
        Self::Disposition,
        Self::BizTransactionType,
        Self::SourceDestType,
        Self::ErrorReason,
        Self::MeasurementType,
        Self::SensorAlertType,
        Self::Component,
    ];

    /// The standard words of this vocabulary.
    pub fn words(self) -> &'static [&'static str] {
        match self {
            Self::BizStep => BIZ_STEPS,
            Self::Disposition => DISPOSITIONS,
            Self::BizTransactionType => BIZ_TRANSACTION_TYPES,
            Self::SourceDestType => SOURCE_DEST_TYPES,
            Self::ErrorReason => ERROR_REASONS,
            Self::MeasurementType => MEASUREMENT_TYPES,
            Self::SensorAlertType => SENSOR_ALERT_TYPES,
            Self::Component => COMPONENTS,
        }
    }

    /// The Web URI prefix: `https://ref.gs1.org/cbv/BizStep-`, `https://gs1.org/voc/`, ...
    pub fn web_prefix(self) -> &'static str {
        match self {
            Self::BizStep => "https://ref.gs1.org/cbv/BizStep-",
            Self::Disposition => "https://ref.gs1.org/cbv/Disp-",
            Self::BizTransactionType => "https://ref.gs1.org/cbv/BTT-",
            Self::SourceDestType => "https://ref.gs1.org/cbv/SDT-",
            Self::ErrorReason => "https://ref.gs1.org/cbv/ER-",
            Self::MeasurementType | Self::SensorAlertType => "https://gs1.org/voc/",
            Self::Component => "https://ref.gs1.org/cbv/Comp-",
        }
    }

    /// The compact-IRI prefix of the JSON-LD context: `cbv:BizStep-`, `gs1:`, ...
    pub fn compact_prefix(self) -> &'static str {
        match self {
            Self::BizStep => "cbv:BizStep-",
            Self::Disposition => "cbv:Disp-",
            Self::BizTransactionType => "cbv:BTT-",
            Self::SourceDestType => "cbv:SDT-",
            Self::ErrorReason => "cbv:ER-",
            Self::MeasurementType | Self::SensorAlertType => "gs1:",
            Self::Component => "cbv:Comp-",
        }
    }

    /// The CBV 1.x URN prefix, for the vocabularies that had one.
    pub fn urn_prefix(self) -> Option<&'static str> {
        match self {
            Self::BizStep => Some("urn:epcglobal:cbv:bizstep:"),
            Self::Disposition => Some("urn:epcglobal:cbv:disp:"),
            Self::BizTransactionType => Some("urn:epcglobal:cbv:btt:"),
            Self::SourceDestType => Some("urn:epcglobal:cbv:sdt:"),
            Self::ErrorReason => Some("urn:epcglobal:cbv:er:"),
            Self::MeasurementType | Self::SensorAlertType | Self::Component => None,
        }
    }

    /// The standard word `value` spells in any of its forms (bare word, Web
    /// URI, CBV 1.x URN, compact IRI), or `None` for a non-standard value.
    pub fn word(self, value: &str) -> Option<&'static str> {
        let candidate = value
            .strip_prefix(self.web_prefix())
            .or_else(|| value.strip_prefix(self.compact_prefix()))
            .or_else(|| self.urn_prefix().and_then(|p| value.strip_prefix(p)))
            .unwrap_or(value);
        self.words().iter().copied().find(|w| *w == candidate)
    }

    /// Whether `value` is a bare standard word of this vocabulary.
    pub fn is_word(self, value: &str) -> bool {
        self.words().contains(&value)
    }

    /// The Web URI of a standard value given in any form; `None` for a
    /// non-standard value (which EPCIS requires to be a URI of its own).
    ///
    /// `shipping`, `urn:epcglobal:cbv:bizstep:shipping` and
    /// `cbv:BizStep-shipping` all give `https://ref.gs1.org/cbv/BizStep-shipping`.
    pub fn expand(self, value: &str) -> Option<String> {
        self.word(value).map(|w| format!("{}{w}", self.web_prefix()))
    }

    /// The bare word of a standard value given in any form; `None` for a
    /// non-standard value.
    pub fn compact(self, value: &str) -> Option<&'static str> {
        self.word(value)
    }

    /// [`expand`](Self::expand), or `value` unchanged when it is not standard.
    pub fn expand_or_keep(self, value: &str) -> String {
        self.expand(value).unwrap_or_else(|| value.to_owned())
    }

    /// [`compact`](Self::compact), or `value` unchanged when it is not standard.
    pub fn compact_or_keep(self, value: &str) -> String {
        self.compact(value)
            .map_or_else(|| value.to_owned(), str::to_owned)
    }
}

const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
];

const DISPOSITIONS: &[&str] = &[
    "active",
    "available",
    "completeness_verified",
    "completeness_inferred",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_instance",
    "mismatch_class",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unavailable",
    "unknown",
];

const BIZ_TRANSACTION_TYPES: &[&str] = &[
    "bol",
    "cert",
    "desadv",
    "inv",
    "pedigree",
    "po",
    "poc",
    "prodorder",
    "recadv",
    "rma",
    "testprd",
    "testres",
    "upevt",
];

const SOURCE_DEST_TYPES: &[&str] = &["owning_party", "possessing_party", "location"];

const ERROR_REASONS: &[&str] = &["did_not_occur", "incorrect_data"];

const MEASUREMENT_TYPES: &[&str] = &[
    "AbsoluteHumidity",
    "AbsorbedDose",
    "AbsorbedDoseRate",
    "Acceleration",
    "Radioactivity",
    "Altitude",
    "AmountOfSubstance",
    "AmountOfSubstancePerUnitVolume",
    "Angle",
    "AngularAcceleration",
    "AngularMomentum",
    "AngularVelocity",
    "Area",
    "Capacitance",
    "Conductance",
    "Conductivity",
    "Count",
    "Density",
    "Dimensionless",
    "DoseEquivalent",
    "DoseEquivalentRate",
    "DynamicViscosity",
    "ElectricCharge",
    "ElectricCurrent",
    "ElectricCurrentDensity",
    "ElectricFieldStrength",
    "Energy",
    "Exposure",
    "Force",
    "Frequency",
    "Illuminance",
    "Inductance",
    "Irradiance",
    "KinematicViscosity",
    "Length",
    "LinearMomentum",
    "Luminance",
    "LuminousFlux",
    "LuminousIntensity",
    "MagneticFlux",
    "MagneticFluxDensity",
    "MagneticVectorPotential",
    "Mass",
    "MassConcentration",
    "MassFlowRate",
    "MassPerAreaTime",
    "MemoryCapacity",
    "MolalityOfSolute",
    "MolarEnergy",
    "MolarMass",
    "MolarVolume",
    "Power",
    "Pressure",
    "RadiantFlux",
    "RadiantIntensity",
    "RelativeHumidity",
    "Resistance",
    "Resistivity",
    "SolidAngle",
    "SpecificVolume",
    "Speed",
    "SurfaceDensity",
    "SurfaceTension",
    "Temperature",
    "Time",
    "Torque",
    "Voltage",
    "Volume",
    "VolumeFlowRate",
    "VolumeFraction",
    "VolumetricFlux",
    "Wavenumber",
];

const SENSOR_ALERT_TYPES: &[&str] = &["ALARM_CONDITION", "ERROR_CONDITION"];

const COMPONENTS: &[&str] = &[
    "x",
    "y",
    "z",
    "axial_distance",
    "azimuth",
    "height",
    "spherical_radius",
    "polar_angle",
    "elevation_angle",
    "easting",
    "northing",
    "latitude",
    "longitude",
    "altitude",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_a_biz_step() {
        let web = "https://ref.gs1.org/cbv/BizStep-shipping";
        for form in [
            "shipping",
            web,
            "urn:epcglobal:cbv:bizstep:shipping",
            "cbv:BizStep-shipping",
        ] {
            assert_eq!(Vocabulary::BizStep.expand(form).as_deref(), Some(web), "{form}");
            assert_eq!(Vocabulary::BizStep.compact(form), Some("shipping"), "{form}");
        }
        assert_eq!(Vocabulary::BizStep.expand("harvesting"), None);
        assert_eq!(
            Vocabulary::BizStep.expand("urn:epcglobal:cbv:disp:in_transit"),
            None
        );
        assert_eq!(
            Vocabulary::BizStep.expand_or_keep("https://example.cn/bizstep/harvesting"),
            "https://example.cn/bizstep/harvesting"
        );
    }

    #[test]
    fn every_vocabulary_expands_and_compacts() {
        let cases = [
            (
                Vocabulary::Disposition,
                "in_transit",
                "https://ref.gs1.org/cbv/Disp-in_transit",
            ),
            (
                Vocabulary::BizTransactionType,
                "po",
                "https://ref.gs1.org/cbv/BTT-po",
            ),
            (
                Vocabulary::SourceDestType,
                "owning_party",
                "https://ref.gs1.org/cbv/SDT-owning_party",
            ),
            (
                Vocabulary::ErrorReason,
                "incorrect_data",
                "https://ref.gs1.org/cbv/ER-incorrect_data",
            ),
            (
                Vocabulary::MeasurementType,
                "Temperature",
                "https://gs1.org/voc/Temperature",
            ),
            (
                Vocabulary::SensorAlertType,
                "ALARM_CONDITION",
                "https://gs1.org/voc/ALARM_CONDITION",
            ),
            (
                Vocabulary::Component,
                "latitude",
                "https://ref.gs1.org/cbv/Comp-latitude",
            ),
        ];
        for (v, word, web) in cases {
            assert_eq!(v.expand(word).as_deref(), Some(web));
            assert_eq!(v.compact(web), Some(word));
            assert!(v.is_word(word));
        }
        assert_eq!(
            Vocabulary::MeasurementType.compact("gs1:Temperature"),
            Some("Temperature")
        );
        assert_eq!(
            Vocabulary::Disposition.compact("urn:epcglobal:cbv:disp:recalled"),
            Some("recalled")
        );
        assert_eq!(Vocabulary::Component.compact_or_keep("example:x"), "example:x");
    }

    #[test]
    fn words_of_the_standard_are_present() {
        for w in [
            "commissioning",
            "inspecting",
            "sampling",
            "packing",
            "loading",
            "departing",
        ] {
            assert!(Vocabulary::BizStep.is_word(w), "{w}");
        }
        for w in [
            "sensor_reporting",
            "retail_selling",
            "destroying",
            "holding",
            "storing",
        ] {
            assert!(Vocabulary::BizStep.is_word(w), "{w}");
        }
        for w in [
            "active",
            "conformant",
            "non_conformant",
            "recalled",
            "needs_replacement",
        ] {
            assert!(Vocabulary::Disposition.is_word(w), "{w}");
        }
        assert!(!Vocabulary::BizStep.is_word("harvesting"));
        for v in Vocabulary::ALL {
            let mut sorted = v.words().to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), v.words().len(), "{v:?} has duplicates");
        }
    }
}
