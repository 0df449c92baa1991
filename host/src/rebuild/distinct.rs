//! Duplicate primary keys. Milvus' plain `Insert` does not deduplicate keys, so a collection
//! filled by scripts that inserted some rows twice holds several copies of those keys:
//! `count(*)` counts every copy while a query returns each key once. The copy reads each key
//! once, so the new collection holds one row per key; comparing its count with the old
//! `count(*)` would blame the difference on writes during the copy. Where the counts differ,
//! the old collection's distinct keys are counted (keys only, a full query window per page)
//! and the difference is named for what it is.

use super::catchup::all_pks;
use super::error::Result;
use crate::milvus::Client;

/// `count(*)` of a collection next to its number of distinct primary keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCount {
    /// Rows by `count(*)` (every copy of a key).
    pub counted: u64,
    /// Distinct primary keys.
    pub distinct: u64,
}

impl KeyCount {
    /// Rows beyond the first copy of their key.
    pub fn duplicates(&self) -> u64 {
        self.counted.saturating_sub(self.distinct)
    }

    /// "25,000 counted, 20,000 distinct, 5,000 duplicate copies".
    pub fn describe(&self) -> String {
        format!(
            "{} counted, {} distinct, {} duplicate copies",
            grouped(self.counted),
            grouped(self.distinct),
            grouped(self.duplicates())
        )
    }
}

/// The distinct keys of `collection` as of `ts` (0: now), next to `counted` (its `count(*)`
/// at the same point). Reads the keys only when `counted` differs from `expected` (the rows
/// the caller holds), so a collection without duplicates costs nothing.
pub async fn key_count(
    client: &Client,
    collection: &str,
    pk: &str,
    ts: u64,
    counted: u64,
    expected: u64,
) -> Result<KeyCount> {
    let distinct = if counted == expected {
        counted
    } else {
        all_pks(client, collection, pk, ts).await?.len() as u64
    };
    Ok(KeyCount { counted, distinct })
}

/// `n` with a comma every three digits.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_described_with_grouped_numbers() {
        let k = KeyCount {
            counted: 25_000,
            distinct: 20_000,
        };
        assert_eq!(
            k.describe(),
            "25,000 counted, 20,000 distinct, 5,000 duplicate copies"
        );
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
