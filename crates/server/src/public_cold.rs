//! The cold-chain card of the consumer page: whether the temperature range
//! was kept in each cold room and vehicle the unit stayed in, the readings'
//! lowest and highest, the worst excursion, and a gap longer than the two
//! hours a device may stay silent.

use std::fmt::Write as _;

use suyuan_store::devices::coldchain::ColdChain;

use crate::public::{esc, Lang};

/// A time in China Standard Time.
fn time(t: &chrono::DateTime<chrono::Utc>) -> String {
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(cst) => t.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string(),
        None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The card, in the page's language.
pub(crate) fn card(cc: &ColdChain, lang: Lang) -> String {
    let mut b = format!(
        "<div class=\"card\"><h2>{}</h2>",
        lang.pick("冷链温度", "Cold chain")
    );
    let verdict = if cc.kept {
        format!(
            "<p class=\"ok\">{}</p>",
            lang.pick(
                "全程温度在规定范围内",
                "Kept within its temperature range throughout"
            )
        )
    } else {
        format!(
            "<p class=\"bad\">{}</p>",
            lang.pick("曾超出规定温度范围", "Left its temperature range")
        )
    };
    b.push_str(&verdict);
    if let Some(w) = &cc.worst_excursion {
        let text = match lang {
            Lang::Zh => format!(
                "最严重超限：{}，{} 起 {} 分钟，极值 {} ℃",
                w.place,
                time(&w.start),
                w.minutes,
                w.extreme
            ),
            Lang::En => format!(
                "Worst excursion: {}, from {} for {} min, extreme {} °C",
                w.place,
                time(&w.start),
                w.minutes,
                w.extreme
            ),
        };
        let _ = write!(b, "<p class=\"warn\">{}</p>", esc(&text));
    }
    b.push_str("<dl>");
    for s in &cc.stays {
        let range = match (s.range_min, s.range_max) {
            (Some(lo), Some(hi)) => format!(" ({lo}–{hi} ℃)"),
            _ => String::new(),
        };
        let mut text = match lang {
            Lang::Zh => format!(
                "{} 至 {}：{} 条读数，{}–{} ℃",
                time(&s.from),
                time(&s.until),
                s.readings,
                s.lowest,
                s.highest
            ),
            Lang::En => format!(
                "{} to {}: {} readings, {}–{} °C",
                time(&s.from),
                time(&s.until),
                s.readings,
                s.lowest,
                s.highest
            ),
        };
        if let Some(g) = s.gap_minutes {
            text.push_str(&match lang {
                Lang::Zh => format!("；{g} 分钟无读数"),
                Lang::En => format!("; no reading for {g} min"),
            });
        }
        let _ = write!(
            b,
            "<dt>{}{}</dt><dd>{}</dd>",
            esc(&s.place),
            esc(&range),
            esc(&text)
        );
    }
    b.push_str("</dl></div>");
    b
}
