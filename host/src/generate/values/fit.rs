//! Fitting a generated string into `[min_length, max_length]` UTF-8 bytes.
//!
//! Milvus counts VarChar limits in bytes, so a 10-character Japanese word is 30 bytes: every
//! cut lands on a char boundary, preferably a word boundary, and short values grow by whole
//! words. Anything that still cannot reach the minimum (a multi-byte char straddling the limit)
//! is padded with ASCII so the limits always hold.

/// Cuts `s` to at most `max` bytes, at a word boundary when that keeps at least `min` bytes
/// and half of what fits.
pub fn truncate(s: &mut String, min: usize, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let floor = min.max(end / 2).max(1);
    if let Some(space) = s[..end].rfind(' ')
        && space >= floor
    {
        end = space;
        // A cut after a comma or a dangling connective-like mark reads badly: drop it.
        while end > floor && matches!(s.as_bytes()[end - 1], b',' | b';' | b':' | b'-' | b' ') {
            end -= 1;
        }
    }
    s.truncate(end);
}

/// Makes `s` between `min` and `max` bytes: appends words from `more` (one word per call) while
/// too short, then cuts, then pads with ASCII if a multi-byte char made the cut fall short.
pub fn fit(s: &mut String, min: usize, max: usize, mut more: impl FnMut(&mut String)) {
    let mut guard = 0;
    while s.len() < min && guard < 100_000 {
        let before = s.len();
        if !s.is_empty() {
            s.push(' ');
        }
        more(s);
        guard += 1;
        if s.len() == before {
            break;
        }
    }
    truncate(s, min, max);
    while s.len() < min {
        s.push('x');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_word_boundaries_within_the_byte_limit() {
        let mut s = "the quick brown fox jumps".to_string();
        truncate(&mut s, 0, 12);
        assert_eq!(s, "the quick");
        let mut s = "日本語日本語".to_string();
        truncate(&mut s, 0, 7);
        assert_eq!(s, "日本");
    }

    #[test]
    fn grows_by_words_and_pads_when_a_char_straddles_the_limit() {
        let mut s = "naïve".to_string();
        fit(&mut s, 12, 20, |o| o.push_str("日本語"));
        assert!((12..=20).contains(&s.len()), "{s}");
        let mut s = String::new();
        fit(&mut s, 5, 5, |o| o.push_str("日本"));
        assert_eq!(s.len(), 5);
        assert!(s.starts_with('日'));
    }
}
