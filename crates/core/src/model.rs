//! The vocabularies of the platform: kinds of organisations, roles, duties,
//! places, products, inputs and certifications.
//!
//! Each vocabulary is a closed enum with a stable snake_case wire name (used in
//! the API, the database and the CLI) and a Chinese label for pages. One macro
//! defines them all, so parsing, printing and the list of allowed values can
//! never disagree.

use crate::Invalid;

/// Defines a closed vocabulary: `Enum::parse`, `as_str`, `zh`, `ALL`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident = $wire:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The Simplified Chinese label.
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// The English label.
            pub fn en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            /// Parses a wire name; the error lists the allowed values.
            pub fn parse(s: &str) -> Result<Self, Invalid> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => {
                        let allowed = [$($wire),+].join(", ");
                        Err(Invalid::new(
                            concat!($field, "_unknown"),
                            format!("'{s}' is not a known {}; allowed: {allowed}", $field.replace('_', " ")),
                            format!("“{s}”不是有效的取值，允许：{allowed}"),
                        ))
                    }
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// What an organisation is in the chain (R-5.3.3.1, R-5.3.3.3 a–b).
    OrgKind, "organisation_kind" {
        Producer = "producer", "生产主体", "Producer";
        Processor = "processor", "加工包装企业", "Processing and packing company";
        Logistics = "logistics", "仓储物流企业", "Warehousing and logistics company";
        Retailer = "retailer", "经销零售企业", "Distributor or retailer";
        TestingAgency = "testing_agency", "检测机构", "Testing agency";
        Regulator = "regulator", "监管部门", "Regulator";
        PlatformOperator = "platform_operator", "平台运营方", "Platform operator";
    }
);

vocabulary!(
    /// The form of a producer: farm, cooperative or family farm.
    ProducerForm, "producer_form" {
        Farm = "farm", "农场/企业基地", "Farm or company base";
        Cooperative = "cooperative", "农民专业合作社", "Farmers' professional cooperative";
        FamilyFarm = "family_farm", "家庭农场", "Family farm";
    }
);

vocabulary!(
    /// Where an organisation stands with the operator.
    OrgStatus, "organisation_status" {
        Pending = "pending", "待审核", "Pending review";
        Verified = "verified", "已认证", "Verified";
        Suspended = "suspended", "已暂停", "Suspended";
    }
);

vocabulary!(
    /// What a user may do. Inspectors belong to testing agencies, officers to
    /// regulators (with a jurisdiction), operators to the platform operator.
    Role, "role" {
        OrgAdmin = "org_admin", "机构管理员", "Organisation administrator";
        Recorder = "recorder", "记录员", "Recorder";
        Viewer = "viewer", "查看员", "Viewer";
        Inspector = "inspector", "检测员", "Inspector";
        Officer = "officer", "监管人员", "Regulatory officer";
        Operator = "operator", "平台运营人员", "Platform operations staff";
    }
);

vocabulary!(
    /// The duties each organisation names a responsible person for (R-4.3.4.1,
    /// R-4.3.1.1 c).
    Duty, "duty" {
        Recording = "recording", "信息记录", "Recording";
        Verification = "verification", "信息核验", "Verification";
        Reporting = "reporting", "信息上报", "Reporting";
        SystemMaintenance = "system_maintenance", "系统维护", "System maintenance";
    }
);

vocabulary!(
    /// Kinds of places.
    PlaceKind, "place_kind" {
        ProductionBase = "production_base", "生产基地", "Production base";
        Plot = "plot", "地块", "Plot";
        PackingHouse = "packing_house", "包装加工厂", "Packing house";
        Warehouse = "warehouse", "仓库", "Warehouse";
        Store = "store", "门店", "Store";
        Vehicle = "vehicle", "运输车辆", "Vehicle";
    }
);

vocabulary!(
    /// Product categories.
    ProductCategory, "product_category" {
        Vegetable = "vegetable", "蔬菜", "Vegetables";
        Fruit = "fruit", "水果", "Fruit";
        Grain = "grain", "粮食", "Grain";
        Tea = "tea", "茶叶", "Tea";
        EdibleFungus = "edible_fungus", "食用菌", "Edible fungi";
        Livestock = "livestock", "畜禽", "Livestock and poultry";
        Aquatic = "aquatic", "水产品", "Aquatic products";
        Egg = "egg", "蛋品", "Eggs";
        Oilseed = "oilseed", "油料", "Oilseeds";
        Other = "other", "其他", "Other";
    }
);

vocabulary!(
    /// Product certifications.
    CertificationKind, "certification_kind" {
        GreenFood = "green_food", "绿色食品", "Green Food";
        Organic = "organic", "有机产品", "Organic product";
        Gap = "gap", "良好农业规范(GAP)", "Good Agricultural Practice (GAP)";
        GeographicalIndication = "geographical_indication", "地理标志", "Geographical indication";
    }
);

vocabulary!(
    /// Kinds of agricultural inputs (R-4.3.3.1).
    InputKind, "input_kind" {
        Seed = "seed", "种子种苗", "Seeds and seedlings";
        Fertiliser = "fertiliser", "肥料", "Fertiliser";
        Pesticide = "pesticide", "农药", "Pesticide";
        Feed = "feed", "饲料", "Feed";
        VeterinaryDrug = "veterinary_drug", "兽药", "Veterinary drug";
        Other = "other", "其他", "Other";
    }
);

vocabulary!(
    /// What a 承诺达标合格证 rests on (its 承诺依据).
    CertificateBasis, "certificate_basis" {
        Control = "control", "质量安全控制符合要求", "Quality and safety controls met";
        SelfTest = "self_test", "自行检测合格", "Passed the issuer's own test";
        CommissionedTest = "commissioned_test", "委托检测合格", "Passed a commissioned test";
    }
);

vocabulary!(
    /// The unit a certificate's quantity is given in.
    QuantityUnit, "quantity_unit" {
        Kg = "kg", "千克", "kg";
        Jin = "jin", "斤", "jin (500 g)";
        T = "t", "吨", "t";
        G = "g", "克", "g";
        Piece = "piece", "件", "pieces";
        Box = "box", "箱", "boxes";
        Head = "head", "头（只）", "head";
    }
);

vocabulary!(
    /// A recall's level (食品召回管理办法 第十三条).
    RecallLevel, "recall_level" {
        One = "1", "一级召回", "Level 1 recall";
        Two = "2", "二级召回", "Level 2 recall";
        Three = "3", "三级召回", "Level 3 recall";
    }
);

impl OrgKind {
    /// The roles a user of this kind of organisation may hold.
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            OrgKind::Producer | OrgKind::Processor | OrgKind::Logistics | OrgKind::Retailer => {
                &[Role::OrgAdmin, Role::Recorder, Role::Viewer]
            }
            OrgKind::TestingAgency => &[Role::OrgAdmin, Role::Recorder, Role::Viewer, Role::Inspector],
            OrgKind::Regulator => &[Role::OrgAdmin, Role::Viewer, Role::Officer],
            OrgKind::PlatformOperator => &[Role::OrgAdmin, Role::Operator, Role::Viewer],
        }
    }
}

impl Role {
    /// Roles that may create and change the organisation's own records.
    pub fn can_record(self) -> bool {
        matches!(self, Role::OrgAdmin | Role::Recorder | Role::Inspector)
    }
}

/// A pesticide registration number (农药登记证号): `PD`, `LS`, `WP` or `WL`
/// followed by a year and a serial, e.g. `PD20080005`.
pub fn parse_pesticide_registration(s: &str) -> Result<String, Invalid> {
    if crate::jsonschema::pattern::matches(REGISTRATION_PATTERN, s) {
        Ok(s.trim().to_ascii_uppercase())
    } else {
        Err(registration_format_invalid())
    }
}

/// The form of a pesticide registration number (JSON Schema `pattern`):
/// PD, LS, WP or WL, in either case, then 6 to 12 digits.
pub const REGISTRATION_PATTERN: &str = r"^\s*([Pp][Dd]|[Ll][Ss]|[Ww][PpLl])[0-9]{6,12}\s*$";

/// The refusal of a malformed pesticide registration number.
pub fn registration_format_invalid() -> Invalid {
    Invalid::new(
        "pesticide_registration_format",
        "a pesticide registration number is PD, LS, WP or WL followed by 6 to 12 digits (e.g. PD20080005)",
        "农药登记证号应为 PD、LS、WP 或 WL 加 6 至 12 位数字（如 PD20080005）",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()).unwrap(), *k);
        }
        let err = Role::parse("boss").unwrap_err();
        assert_eq!(err.code, "role_unknown");
        assert!(err.en.contains("org_admin"));
    }

    #[test]
    fn pesticide_registration_numbers() {
        assert_eq!(parse_pesticide_registration("pd20080005").unwrap(), "PD20080005");
        assert!(parse_pesticide_registration("LS20130012").is_ok());
        for bad in ["", "PD", "XX20080005", "PD2008A005", "PD123"] {
            assert_eq!(
                parse_pesticide_registration(bad).unwrap_err().code,
                "pesticide_registration_format"
            );
        }
    }
}
