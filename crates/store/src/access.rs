//! Who is asking, and what they may read and write.
//!
//! A [`Caller`] is built by the server from a session, a bearer token or an
//! API key (or by the CLI for the operator). The rules of tenancy live here and
//! nowhere else:
//! - an organisation reads and writes only its own private records;
//! - a regulator's officer reads (never writes) the records of organisations
//!   whose region lies inside the officer's jurisdiction;
//! - the platform operator administers organisations and users but cannot
//!   edit or read other organisations' records;
//! - a suspended organisation may read but not write.

use suyuan_core::model::{OrgKind, OrgStatus, Role};
use uuid::Uuid;

use crate::db::Val;
use crate::StoreError;

/// How a caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A session token (sent as a bearer token or as the browser's cookie).
    Session,
    /// An API key, by its id.
    ApiKey(Uuid),
    /// The command line on the server's own machine, acting as a named user.
    Cli,
}

/// The identity behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub username: String,
    pub org_id: Uuid,
    pub org_kind: OrgKind,
    pub org_status: OrgStatus,
    pub role: Role,
    /// Officers only: the region-code prefix they oversee (e.g. `5101`).
    pub jurisdiction: Option<String>,
    /// The credential the request carried.
    pub credential: Credential,
}

impl Caller {
    fn require_active(&self) -> Result<(), StoreError> {
        if self.org_status == OrgStatus::Suspended {
            return Err(StoreError::forbidden(
                "organisation_suspended",
                "your organisation is suspended and may not change records",
                "贵机构已被暂停，不能修改记录",
            ));
        }
        Ok(())
    }

    /// May create records (places, products, inputs …) for its organisation.
    pub fn require_recorder(&self) -> Result<(), StoreError> {
        self.require_active()?;
        if self.org_kind == OrgKind::PlatformOperator {
            return Err(StoreError::forbidden(
                "operator_cannot_record",
                "the platform operator administers the platform and keeps no records of its own",
                "平台运营方只做平台管理，不保存业务记录",
            ));
        }
        if !self.role.can_record() {
            return Err(StoreError::forbidden(
                "role_cannot_record",
                format!("the role {} may not create or change records", self.role),
                format!("角色“{}”不能创建或修改记录", self.role.zh()),
            ));
        }
        Ok(())
    }

    /// May create what others and consumers see (products with their GTINs,
    /// lots and item codes, signing keys): a recorder of a *verified*
    /// organisation that is not the platform operator. A pending
    /// organisation may prepare its master data, nothing more.
    pub fn require_verified_recorder(&self) -> Result<(), StoreError> {
        self.require_recorder()?;
        suyuan_core::authority::may_capture(&crate::trace::actor(self))
            .map_err(|e| StoreError::forbidden(e.code, e.en, e.zh))
    }

    /// May administer its own organisation (users, duties, API keys).
    pub fn require_org_admin(&self) -> Result<(), StoreError> {
        self.require_active()?;
        if self.role != Role::OrgAdmin {
            return Err(StoreError::forbidden(
                "role_not_admin",
                "only an organisation admin may do this",
                "只有机构管理员可以执行此操作",
            ));
        }
        Ok(())
    }

    /// Is a member of the platform operator with an administering role.
    pub fn is_operator(&self) -> bool {
        self.org_kind == OrgKind::PlatformOperator
            && self.org_status == OrgStatus::Verified
            && matches!(self.role, Role::Operator | Role::OrgAdmin)
    }

    /// May administer organisations on the platform (verify, suspend).
    pub fn require_operator(&self) -> Result<(), StoreError> {
        if !self.is_operator() {
            return Err(StoreError::forbidden(
                "operator_only",
                "only the platform operator may do this",
                "只有平台运营方可以执行此操作",
            ));
        }
        Ok(())
    }

    /// The officer's jurisdiction prefix, when the caller is an officer.
    pub fn officer_jurisdiction(&self) -> Option<&str> {
        // A regulator the operator has not verified (or has suspended) sees
        // nothing beyond itself.
        (self.org_kind == OrgKind::Regulator
            && self.role == Role::Officer
            && self.org_status == OrgStatus::Verified)
            .then_some(self.jurisdiction.as_deref())
            .flatten()
    }

    /// A SQL condition on `{alias}.org_id` selecting the organisations whose
    /// private records the caller may read, and its parameter, numbered `$n`.
    pub(crate) fn record_scope(&self, alias: &str, n: usize) -> (String, Val) {
        match self.officer_jurisdiction() {
            Some(prefix) => (
                format!("{alias}.org_id IN (SELECT id FROM organisations WHERE region LIKE ${n})"),
                Val::Text(format!("{prefix}%")),
            ),
            None => (format!("{alias}.org_id = ${n}"), self.org_id.into()),
        }
    }

    /// A SQL condition on the organisations table (alias `t`) selecting the
    /// organisations the caller may see: all for the operator, those in the
    /// jurisdiction (and its own) for an officer, its own for everyone else.
    pub(crate) fn organisation_scope(&self, n: usize) -> (String, Val) {
        if self.is_operator() {
            return (format!("${n} = ${n}"), Val::Bool(true));
        }
        match self.officer_jurisdiction() {
            Some(prefix) => (
                format!("(t.region LIKE ${n} OR t.id = '{}')", self.org_id),
                Val::Text(format!("{prefix}%")),
            ),
            None => (format!("t.id = ${n}"), self.org_id.into()),
        }
    }
}
