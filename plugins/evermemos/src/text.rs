//! Byte limits: Milvus counts VarChar `max_length` in UTF-8 bytes (a CJK character is 3).

use crate::pyjson;

/// Cuts `s` to at most `max` bytes without splitting a character.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// `json.dumps` of a list of strings, kept within `max` bytes as valid JSON: items are written
/// in order, and the first one that does not fit is cut on a character boundary (after its
/// escapes are counted); later items are dropped.
pub fn json_list_within(items: &[&str], max: usize) -> String {
    let full = pyjson::dumps_strs(items);
    if full.len() <= max {
        return full;
    }
    let mut out = String::from("[");
    let mut esc = String::new();
    'items: for (i, item) in items.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        // The item needs at least its separator, two quotes and the closing bracket.
        if out.len() + sep.len() + 3 > max {
            break;
        }
        out.push_str(sep);
        out.push('"');
        for c in item.chars() {
            esc.clear();
            let mut buf = [0u8; 4];
            pyjson::write_str(&mut esc, c.encode_utf8(&mut buf));
            let body = &esc[1..esc.len() - 1];
            if out.len() + body.len() + 2 > max {
                out.push('"');
                break 'items;
            }
            out.push_str(body);
        }
        out.push('"');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(truncate_utf8("张伟", 4), "张");
        assert_eq!(truncate_utf8("ab", 5), "ab");
        assert_eq!(truncate_utf8("é", 1), "");
    }

    #[test]
    fn json_lists_stay_valid_and_within_the_limit() {
        let long = "张".repeat(3000);
        for max in [5000, 4999, 4998, 10, 4, 3, 2] {
            let s = json_list_within(&["主题", "a\"b", &long], max);
            assert!(s.len() <= max, "{max}: {}", s.len());
            let v: Vec<String> = milvus_ingest_sdk::serde_json::from_str(&s).unwrap();
            if max >= 5000 - 3 {
                assert_eq!(v[..2], ["主题", "a\"b"]);
                assert!(v[2].len() >= max - 30, "{}", v[2].len());
            }
        }
        assert_eq!(json_list_within(&["a", "b"], 100), r#"["a", "b"]"#);
        assert_eq!(json_list_within(&["abcdef"], 6), r#"["ab"]"#);
    }
}
