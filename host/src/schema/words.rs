//! A user's own vocabulary (`words`): which kind of value is built from it, and which byte
//! lengths whole words from it can make.
//!
//! Values built from `words` are whole words of the list joined by single spaces, never cut
//! and never padded, so no value holds a fragment the user did not write. Validation and the
//! generator share this module: a schema is refused when its limits leave no such value, and
//! the generator only picks words that keep the value completable within the limits.

use super::field::Field;
use super::kinds::StringKind;

/// Kinds whose values are made of words (and so of the user's `words` when given).
pub fn word_based(kind: StringKind) -> bool {
    matches!(
        kind,
        StringKind::Word
            | StringKind::Words
            | StringKind::Title
            | StringKind::Sentence
            | StringKind::Paragraph
            | StringKind::Text
    )
}

/// The kind a VarChar field generates: its `kind`, else a guess from its name and length
/// (a word-based kind when it gives `words`). Errors with the parse message of a bad `kind`.
pub fn string_kind(field: &Field) -> Result<StringKind, String> {
    let max = field.max_length.unwrap_or(256);
    match &field.kind {
        Some(k) => k.parse::<StringKind>(),
        None => {
            let guessed = StringKind::guess(&field.name, max);
            let has_words = field.words.as_ref().is_some_and(|w| !w.is_empty());
            Ok(if has_words && !word_based(guessed) {
                if max <= 16 {
                    StringKind::Word
                } else {
                    StringKind::Words
                }
            } else {
                guessed
            })
        }
    }
}

/// The `[min, max]` byte lengths of generated values of `kind` (a `text` fills at least half
/// of max_length unless min_length says otherwise).
pub fn length_bounds(field: &Field, kind: StringKind) -> (usize, usize) {
    let max = field.max_length.unwrap_or(256) as usize;
    let default_min = if kind == StringKind::Text { max / 2 } else { 0 };
    let min = field
        .min_length
        .map_or(default_min, |m| m as usize)
        .min(max);
    (min, max)
}

/// Which lengths a value of whole words (joined by one space) can grow from and still end
/// inside `[min, max]` bytes.
#[derive(Debug, Clone)]
pub struct WordFit {
    /// `completable[n]`: a value of `n` bytes is in range, or some word appended keeps it
    /// completable.
    completable: Vec<bool>,
}

impl WordFit {
    /// For words of the given byte lengths; `max` is at most 65 535, so the table is small.
    pub fn new(lengths: impl IntoIterator<Item = usize>, min: usize, max: usize) -> WordFit {
        let mut distinct: Vec<usize> = lengths.into_iter().filter(|l| *l <= max).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let mut completable = vec![false; max + 1];
        for n in (1..=max).rev() {
            completable[n] = n >= min
                || distinct
                    .iter()
                    .map(|l| n + 1 + l)
                    .take_while(|next| *next <= max)
                    .any(|next| completable[next]);
        }
        WordFit { completable }
    }

    /// Whether a value of `n` bytes (`n` >= 1) can still end inside the limits.
    #[inline]
    pub fn completable(&self, n: usize) -> bool {
        self.completable.get(n).copied().unwrap_or(false)
    }
}

/// Every problem of a VarChar field's `words` (already known to be non-empty), as rules for
/// the `words` attribute.
pub fn word_problems(field: &Field, words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(kind) = string_kind(field) else {
        return out; // the bad `kind` is reported on its own
    };
    if !word_based(kind) {
        out.push(format!(
            "apply to word-based kinds (word, words, title, sentence, paragraph, text); kind `{kind}` would ignore them"
        ));
        return out;
    }
    let (min, max) = length_bounds(field, kind);
    for w in words {
        if w.is_empty() {
            out.push("holds an empty word".into());
        } else if w.len() > max {
            out.push(format!(
                "\"{w}\" is {} UTF-8 bytes, over max_length {max}",
                w.len()
            ));
        } else if kind == StringKind::Word && w.len() < min {
            out.push(format!(
                "\"{w}\" is {} UTF-8 bytes, under min_length {min} (kind `word` writes one word)",
                w.len()
            ));
        }
    }
    if out.is_empty() {
        let fit = WordFit::new(words.iter().map(String::len), min, max);
        if !words.iter().any(|w| fit.completable(w.len())) {
            out.push(format!(
                "no value of whole words joined by spaces is between {min} and {max} UTF-8 bytes: change min_length/max_length or the words"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completable_lengths_follow_whole_words() {
        // Words of 2 bytes: values are 2, 5, 8, ... bytes.
        let fit = WordFit::new([2], 5, 6);
        assert!(fit.completable(2) && fit.completable(5) && !fit.completable(8));
        // 2, 5, 8: none is 7 bytes.
        let fit = WordFit::new([2], 7, 7);
        assert!(!fit.completable(2) && !fit.completable(5));
        let fit = WordFit::new([4], 5, 6);
        assert!(!fit.completable(4));
    }
}
