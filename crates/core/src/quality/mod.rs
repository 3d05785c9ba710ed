//! Quality management (chapter 4.3 and the law around it): the
//! 承诺达标合格证 issued from the trace ([`certificate`]) and recalls with
//! their levels, deadlines, plans and accounting ([`recall`]).

pub mod certificate;
pub mod recall;
