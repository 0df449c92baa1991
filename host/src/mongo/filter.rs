//! Which documents a run reads: a half-open time window `[from, until)` on the handler's time
//! field, in UTC. `--days N` is a rolling window of N×24 h ending now (an instant, not calendar
//! days); `--since`/`--until` give explicit instants. The same window filters a live collection
//! (as a query) and dump/export files (document by document), so both select the same set.

use bson::{Bson, DateTime, Document};
use chrono::{NaiveDate, TimeZone, Utc};

/// Parses an instant strictly: RFC 3339 / ISO 8601 with a zone (`2026-04-08T06:30:00Z`,
/// `2026-04-08T14:30:00+08:00`, fractional seconds allowed) or a bare date (`2026-04-08`,
/// midnight UTC). Anything else, including a date-time without a zone, is an error.
pub fn parse_instant(text: &str) -> Result<DateTime, String> {
    let t = text.trim();
    if t.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
    {
        let at = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
        return Ok(DateTime::from_millis(at.timestamp_millis()));
    }
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(at) => Ok(DateTime::from_millis(at.timestamp_millis())),
        Err(e) => Err(format!(
            "`{text}` is not an ISO 8601 instant ({e}); write 2026-04-08, 2026-04-08T06:30:00Z or 2026-04-08T14:30:00+08:00"
        )),
    }
}

/// Documents whose `field` lies in `[from, until)`; an open side is unbounded. With neither
/// bound, every document (including those without the field).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeWindow {
    pub field: String,
    /// Epoch milliseconds, inclusive.
    pub from_ms: Option<i64>,
    /// Epoch milliseconds, exclusive.
    pub until_ms: Option<i64>,
}

impl TimeWindow {
    /// From the flags: `days` (rolling, ending at `now_ms`) or `since`/`until`. Errors name the
    /// flag and the rule.
    pub fn from_flags(
        field: &str,
        days: Option<u32>,
        since: Option<&str>,
        until: Option<&str>,
        now_ms: i64,
    ) -> Result<TimeWindow, String> {
        if days.is_some() && (since.is_some() || until.is_some()) {
            return Err("--days cannot be combined with --since/--until".into());
        }
        let parse = |flag: &str, v: Option<&str>| {
            v.map(|s| parse_instant(s).map(|d| d.timestamp_millis()))
                .transpose()
                .map_err(|e| format!("{flag}: {e}"))
        };
        let mut w = TimeWindow {
            field: field.to_string(),
            from_ms: parse("--since", since)?,
            until_ms: parse("--until", until)?,
        };
        if let Some(d) = days {
            if d == 0 {
                return Err("--days must be at least 1".into());
            }
            w.from_ms = Some(now_ms - i64::from(d) * 86_400_000);
        }
        if let (Some(a), Some(b)) = (w.from_ms, w.until_ms)
            && a >= b
        {
            return Err("--since must be before --until".into());
        }
        if w.is_bounded() && field.is_empty() {
            return Err(
                "this handler declares no time field, so --days/--since/--until cannot apply"
                    .into(),
            );
        }
        Ok(w)
    }

    pub fn is_bounded(&self) -> bool {
        self.from_ms.is_some() || self.until_ms.is_some()
    }

    /// The query filter (empty when unbounded).
    pub fn to_filter(&self) -> Document {
        let mut range = Document::new();
        if let Some(a) = self.from_ms {
            range.insert("$gte", DateTime::from_millis(a));
        }
        if let Some(b) = self.until_ms {
            range.insert("$lt", DateTime::from_millis(b));
        }
        let mut filter = Document::new();
        if !range.is_empty() {
            filter.insert(self.field.clone(), range);
        }
        filter
    }

    /// Whether a document read from a file falls in the window (dates only, as the query).
    pub fn contains(&self, doc: &Document) -> bool {
        if !self.is_bounded() {
            return true;
        }
        let Some(Bson::DateTime(t)) = doc.get(&self.field) else {
            return false;
        };
        self.contains_millis(t.timestamp_millis())
    }

    /// [`TimeWindow::contains`] for a document still in BSON bytes. Malformed bytes count as
    /// inside, so that reading the document goes on to report them.
    pub fn contains_raw(&self, doc: &bson::RawDocument) -> bool {
        if !self.is_bounded() {
            return true;
        }
        match doc.get(&self.field) {
            Ok(Some(bson::RawBsonRef::DateTime(t))) => self.contains_millis(t.timestamp_millis()),
            Ok(_) => false,
            Err(_) => true,
        }
    }

    fn contains_millis(&self, t: i64) -> bool {
        self.from_ms.is_none_or(|a| t >= a) && self.until_ms.is_none_or(|b| t < b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_strictly() {
        assert_eq!(
            parse_instant("2026-04-08").unwrap().timestamp_millis(),
            1_775_606_400_000
        );
        assert_eq!(
            parse_instant("2026-04-08T14:30:00+08:00")
                .unwrap()
                .timestamp_millis(),
            1_775_629_800_000
        );
        assert_eq!(
            parse_instant("2026-04-08T06:30:00.5Z")
                .unwrap()
                .timestamp_millis(),
            1_775_629_800_500
        );
        for bad in [
            "2026-04-08T06:30:00",
            "yesterday",
            "2026-13-01",
            "2026-4-8",
            "",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_filter_queries_and_documents_alike() {
        let now = 1_775_629_800_000;
        let w = TimeWindow::from_flags("created_at", Some(7), None, None, now).unwrap();
        assert_eq!(w.from_ms, Some(now - 7 * 86_400_000));
        let inside = bson::doc! {"created_at": DateTime::from_millis(now - 86_400_000)};
        let outside = bson::doc! {"created_at": DateTime::from_millis(now - 8 * 86_400_000)};
        assert!(w.contains(&inside) && !w.contains(&outside) && !w.contains(&Document::new()));
        let raw = |d: &Document| bson::RawDocumentBuf::from_document(d).unwrap();
        assert!(w.contains_raw(&raw(&inside)) && !w.contains_raw(&raw(&outside)));
        assert!(!w.contains_raw(&raw(&Document::new())));
        assert!(w.to_filter().get_document("created_at").is_ok());
        assert!(
            TimeWindow::from_flags("t", None, None, None, now)
                .unwrap()
                .to_filter()
                .is_empty()
        );
        assert!(TimeWindow::from_flags("t", Some(1), Some("2026-01-01"), None, now).is_err());
        assert!(
            TimeWindow::from_flags("t", None, Some("2026-02-01"), Some("2026-01-01"), now).is_err()
        );
        assert!(
            TimeWindow::from_flags("t", None, Some("soon"), None, now)
                .unwrap_err()
                .contains("--since")
        );
    }
}
