//! The console's page shell: the head with its one embedded style sheet, the
//! navigation, the search box, the language switch and sign-out, and the
//! small pieces of HTML the screens share (tables, select lists, hidden
//! fields). One column on a phone; the navigation and tables widen on a
//! desktop. Every value written into a page goes through [`esc`].

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{Console, Lang, CSRF_FIELD, T};
pub(crate) use crate::public::esc;

/// The style sheet, embedded: the pages load nothing else.
pub(crate) const STYLE: &str = "*{box-sizing:border-box}body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;\
background:#f4f7f2;color:#1d2a1d;line-height:1.5;font-size:16px}a{color:#2f6b2f}\
header{background:#2f6b2f;color:#fff;padding:6px 12px;display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center}\
header a{color:#fff;text-decoration:none;padding:6px 2px}header .brand{font-weight:bold;margin-right:auto}\
header form{margin:0;display:inline}header button{background:none;border:1px solid #cfe3cf;color:#fff;padding:4px 8px}\
nav.sub{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}\
main{max-width:1100px;margin:auto;padding:12px}h1{font-size:1.35em;color:#2f6b2f;margin:.3em 0}\
h2{font-size:1.08em;color:#2f6b2f;margin:1em 0 .4em}\
.card{background:#fff;border-radius:10px;padding:10px 14px;margin:10px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}\
.stat{font-size:1.8em;font-weight:bold;color:#2f6b2f}.scroll{overflow-x:auto}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4ebe4;vertical-align:top}\
th{color:#556;font-weight:normal;font-size:.9em}\
label{display:block;margin:10px 0 2px;font-weight:600}label small{font-weight:normal;color:#667}\
input,select,textarea{width:100%;max-width:36em;padding:9px;font-size:1em;border:1px solid #b9c9b9;border-radius:6px;background:#fff}\
textarea{min-height:5em}button,.btn{display:inline-block;background:#2f6b2f;color:#fff;border:0;border-radius:6px;\
padding:10px 16px;font-size:1em;margin:10px 8px 0 0;text-decoration:none;cursor:pointer}\
button.alt,.btn.alt{background:#e3f0e3;color:#1d2a1d}\
.err{color:#b3261e;font-weight:600;margin:2px 0}.field-err input,.field-err select,.field-err textarea{border-color:#b3261e}\
.warn{background:#fff4e5;border-left:4px solid #e08a00;padding:8px}.ok{background:#e8f5e9;border-left:4px solid #2f7d32;padding:8px}\
.tag{display:inline-block;background:#e3f0e3;border-radius:4px;padding:0 6px;font-size:.85em;margin-right:4px}\
.bad{color:#b3261e;font-weight:bold}.muted,small{color:#667}code{word-break:break-all;font-size:.9em}\
dl{margin:0}dt{color:#667;font-size:.9em;margin-top:6px}dd{margin:0 0 0 .5em;word-break:break-word}\
.tree{list-style:none;padding-left:0}.tree li{padding:3px 0;border-left:2px solid #cfe3cf}\
.tree .d1{padding-left:18px}.tree .d2{padding-left:36px}.tree .d3{padding-left:54px}.tree .d4{padding-left:72px}.tree .d5{padding-left:90px}.tree .d6{padding-left:108px}.tree .d7{padding-left:126px}.tree .d8{padding-left:144px}.tree .d9{padding-left:162px}.tree .d10{padding-left:180px}.tree .d11{padding-left:198px}.tree .d12{padding-left:216px}\
.thumb{max-width:160px;max-height:160px;margin:4px}\
.search{display:flex;gap:6px;margin:8px 0}.search input{flex:1}.search button{margin:0}\
@media(min-width:800px){dl.cols{display:grid;grid-template-columns:12em 1fr}dl.cols dt,dl.cols dd{margin:4px 0}}";

/// A page of a signed-in user: navigation, search box, `body`.
pub(crate) fn page(c: &Console, title: &str, body: &str) -> String {
    let other = c.lang.other();
    let switch = with_param(&c.here, "lang", other.param());
    let nav = format!(
        "<header><a class=\"brand\" href=\"/console/\">{brand}</a>\
         <a href=\"/console/\">{dash}</a><a href=\"/console/records\">{rec}</a><a href=\"/console/lots\">{lots}</a>\
         <a href=\"/console/shipments\">{recv}</a><a href=\"/console/devices\">{devices}</a><a href=\"/console/master/places\">{master}</a><a href=\"/console/org\">{org}</a>\
         <a href=\"/console/certificates\">{certs}</a><a href=\"/console/recalls\">{recalls}</a><a href=\"/console/archives\">{archives}</a>\
         <a href=\"/console/complaints\">{complaints}</a>{roles}\
         <a href=\"{switch}\" hreflang=\"{ol}\" lang=\"{ol}\">{sw}</a>\
         <span>{user}</span>\
         <form method=\"post\" action=\"/console/logout\">{csrf}<button>{out}</button></form></header>",
        brand = c.t(T::Console),
        dash = c.t(T::Dashboard),
        rec = c.t(T::Records),
        lots = c.t(T::Lots),
        recv = c.t(T::Receiving),
        devices = c.lang.pick("设备", "Devices"),
        org = c.t(T::Organisation),
        master = c.t(T::MasterData),
        certs = c.lang.pick("合格证", "Certificates"),
        recalls = c.lang.pick("召回", "Recalls"),
        archives = c.lang.pick("档案", "Archives"),
        complaints = c.t(T::Complaints),
        roles = role_links(c) + &admin_links(c),
        switch = esc(&switch),
        ol = other.html(),
        sw = c.t(T::Switch),
        user = esc(&c.caller.username),
        csrf = csrf_field(c),
        out = c.t(T::SignOut),
    );
    let search = format!(
        "<form class=\"search\" method=\"get\" action=\"/console/search\" role=\"search\">\
         <input name=\"code\" placeholder=\"{}\" aria-label=\"{}\" autocomplete=\"off\"><button class=\"alt\">{}</button></form>",
        c.t(T::SearchPlaceholder),
        c.t(T::SearchPlaceholder),
        c.t(T::Search)
    );
    shell(
        c.lang,
        title,
        &format!("{nav}<main>{search}{}{body}</main>", status_note(c)),
    )
}

/// The screens of the operator and of officers, for them only.
fn role_links(c: &Console) -> String {
    if c.caller.is_operator() {
        format!(
            "<a href=\"/console/operator\">{}</a><a href=\"/console/operator/health\">{}</a>{}",
            c.t(T::ReviewQueue),
            c.t(T::Health),
            audit_links(c)
        )
    } else if c.caller.officer_jurisdiction().is_some() {
        format!("<a href=\"/console/regulator\">{}</a>", c.t(T::Jurisdiction))
    } else if c.caller.org_kind == suyuan_core::model::OrgKind::TestingAgency {
        format!("<a href=\"/console/lab\">{}</a>", c.t(T::Samples))
    } else {
        String::new()
    }
}

/// The audit trail for organisations' admins and the operator; the
/// security screen for the operator.
fn audit_links(c: &Console) -> String {
    let mut s = format!("<a href=\"/console/audit\">{}</a>", c.lang.pick("审计", "Audit"));
    if c.caller.is_operator() {
        s.push_str(&format!(
            "<a href=\"/console/security\">{}</a>",
            c.lang.pick("入侵防护", "Security")
        ));
    }
    s
}

/// An organisation's admin's link to its audit trail.
fn admin_links(c: &Console) -> String {
    if !c.caller.is_operator() && c.caller.role == suyuan_core::model::Role::OrgAdmin {
        audit_links(c)
    } else {
        String::new()
    }
}

/// What the organisation's status allows, when it is not simply verified.
fn status_note(c: &Console) -> String {
    use suyuan_core::model::OrgStatus;
    match c.caller.org_status {
        OrgStatus::Verified => String::new(),
        OrgStatus::Suspended => format!("<p class=\"warn\">{}</p>", c.t(T::Suspended)),
        _ => format!("<p class=\"warn\">{}</p>", c.t(T::Pending)),
    }
}

/// A page without navigation (sign-in, errors).
pub(crate) fn bare(lang: Lang, title: &str, body: &str) -> String {
    shell(
        lang,
        title,
        &format!(
            "<header><a class=\"brand\" href=\"/console/\">{}</a></header><main><h1>{}</h1>{body}</main>",
            T::Console.get(lang),
            esc(title)
        ),
    )
}

fn shell(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"same-origin\"><title>{} · {}</title><style>{STYLE}</style></head>\
         <body>{body}</body></html>",
        lang.html(),
        esc(title),
        T::Console.get(lang)
    )
}

/// `path` with the query parameter `name` set to `value` (replacing it).
pub(crate) fn with_param(path: &str, name: &str, value: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k != name) {
        q.append_pair(&k, &v);
    }
    q.append_pair(name, value);
    format!("{base}?{}", q.finish())
}

/// The hidden CSRF field of a form of this session.
pub(crate) fn csrf_field(c: &Console) -> String {
    format!(
        "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">",
        c.csrf()
    )
}

/// A hidden field.
pub(crate) fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

/// A `<select>` of `options` (value, label) with `selected` chosen and a
/// "choose" entry first.
pub(crate) fn select(c: &Console, name: &str, options: &[(String, String)], selected: &str) -> String {
    let mut s = format!(
        "<select name=\"{}\" id=\"{}\"><option value=\"\">{}</option>",
        esc(name),
        esc(name),
        c.t(T::ChooseOne)
    );
    for (value, label) in options {
        let sel = if value == selected { " selected" } else { "" };
        let _ = write!(s, "<option value=\"{}\"{sel}>{}</option>", esc(value), esc(label));
    }
    s.push_str("</select>");
    s
}

/// A table with a header row; cells are HTML already.
pub(crate) fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<div class=\"scroll\"><table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for cell in r {
            let _ = write!(s, "<td>{cell}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

/// A time as the clerk reads it: in China Standard Time unless the record
/// says otherwise.
pub(crate) fn local_time(t: &DateTime<Utc>, offset: &str) -> String {
    match suyuan_core::epcis::parse_time_zone_offset(offset) {
        Ok(off) => t.with_timezone(&off).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// What an event records, by name: its record kind, else its CBV business
/// step, else the step as written.
pub(crate) fn event_name(lang: Lang, record_kind: Option<&str>, biz_step: Option<&str>) -> String {
    if let Some(k) = record_kind.and_then(suyuan_core::stages::RecordKind::parse) {
        return lang.pick(k.zh(), k.en()).to_owned();
    }
    match biz_step {
        Some(step) => suyuan_core::epcis::biz_step_name(step)
            .map_or_else(|| step.to_owned(), |(zh, en)| lang.pick(zh, en).to_owned()),
        None => String::new(),
    }
}

/// A link to a record's page.
pub(crate) fn record_link(event_id: &str, text: &str) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", event_id)
        .finish();
    format!("<a href=\"/console/record?{}\">{}</a>", esc(&q), esc(text))
}

/// A lot's status, in words.
pub(crate) fn status_name(lang: Lang, status: &str) -> String {
    suyuan_core::epcis::disposition_name(status)
        .map_or_else(|| status.to_owned(), |(zh, en)| lang.pick(zh, en).to_owned())
}
