//! VarChar values of every [`StringKind`], always between `min_length` and `max_length` UTF-8
//! bytes (Milvus counts bytes, and the predecessor tool overflowed limits; we never do).

use std::sync::Arc;

use fake::Fake;
use fake::faker::{address, company, currency, filesystem, internet, job, name, phone_number};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::scalar::{Scalar, ScalarSource};
use super::vocab;
use crate::generate::GenerateError;
use crate::schema::{Field, StringKind};

/// Used when a (not validated) field declares no limit.
const FALLBACK_MAX_LENGTH: u32 = 256;

pub(crate) struct StringSource {
    kind: StringKind,
    min_len: usize,
    max_len: usize,
    /// The user's own vocabulary for word-based kinds.
    words: Option<Arc<[String]>>,
}

/// The kind a field asks for, or the one its name suggests.
pub(crate) fn resolve_kind(field: &Field, name: &str) -> Result<StringKind, GenerateError> {
    match &field.kind {
        Some(k) => k
            .parse::<StringKind>()
            .map_err(|e| GenerateError::field(name, e)),
        None => Ok(StringKind::guess(
            name,
            field.max_length.unwrap_or(FALLBACK_MAX_LENGTH),
        )),
    }
}

impl StringSource {
    pub(crate) fn new(field: &Field, name: &str) -> Result<StringSource, GenerateError> {
        let max_len = field.max_length.unwrap_or(FALLBACK_MAX_LENGTH) as usize;
        let min_len = (field.min_length.unwrap_or(0) as usize).min(max_len);
        Ok(StringSource {
            kind: resolve_kind(field, name)?,
            min_len,
            max_len,
            words: field.words.as_ref().map(|w| w.clone().into()),
        })
    }

    fn word<'a>(&'a self, rng: &mut ChaCha8Rng, fallback: &'a [&'a str]) -> &'a str {
        match &self.words {
            Some(words) if !words.is_empty() => words.choose(rng).map_or("", String::as_str),
            _ => fallback.choose(rng).copied().unwrap_or(""),
        }
    }

    fn push_words(&self, rng: &mut ChaCha8Rng, out: &mut String, count: usize) {
        for i in 0..count {
            if i > 0 {
                out.push(' ');
            }
            if self.words.is_some() {
                out.push_str(self.word(rng, &[]));
            } else if i + 1 < count {
                out.push_str(vocab::ADJECTIVES.choose(rng).unwrap_or(&""));
            } else {
                out.push_str(vocab::NOUNS.choose(rng).unwrap_or(&""));
            }
        }
    }

    fn push_sentence(&self, rng: &mut ChaCha8Rng, out: &mut String) {
        let start = out.len();
        if self.words.is_some() {
            let n = rng.random_range(5..=12);
            self.push_words(rng, out, n);
        } else {
            push_phrase(rng, out);
            out.push(' ');
            out.push_str(vocab::VERBS.choose(rng).unwrap_or(&""));
            out.push(' ');
            push_phrase(rng, out);
            if rng.random_bool(0.5) {
                out.push(' ');
                out.push_str(vocab::PREPOSITIONS.choose(rng).unwrap_or(&""));
                out.push(' ');
                push_phrase(rng, out);
            }
        }
        capitalize_at(out, start);
        out.push('.');
    }

    fn push_paragraph(&self, rng: &mut ChaCha8Rng, out: &mut String) {
        let n = rng.random_range(3..=6);
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            self.push_sentence(rng, out);
        }
    }

    /// One value of the kind, before length fitting.
    fn push_kind(&self, rng: &mut ChaCha8Rng, out: &mut String) {
        use StringKind as K;
        let fake = |s: String, out: &mut String| out.push_str(&s);
        match self.kind {
            K::Name => fake(name::en::Name().fake_with_rng(rng), out),
            K::FirstName => fake(name::en::FirstName().fake_with_rng(rng), out),
            K::LastName => fake(name::en::LastName().fake_with_rng(rng), out),
            K::Username => fake(internet::en::Username().fake_with_rng(rng), out),
            K::Email => fake(internet::en::SafeEmail().fake_with_rng(rng), out),
            K::Phone => fake(phone_number::en::PhoneNumber().fake_with_rng(rng), out),
            K::Url => {
                out.push_str("https://www.");
                self.push_domain(rng, out);
                for _ in 0..rng.random_range(1..=3) {
                    out.push('/');
                    out.push_str(vocab::NOUNS.choose(rng).unwrap_or(&""));
                }
                out.push_str(&format!("-{}", rng.random_range(1..10_000)));
            }
            K::Domain => self.push_domain(rng, out),
            K::Ipv4 => {
                let b: [u8; 3] = rng.random();
                out.push_str(&format!(
                    "{}.{}.{}.{}",
                    rng.random_range(1..=223),
                    b[0],
                    b[1],
                    b[2]
                ));
            }
            K::Company => fake(company::en::CompanyName().fake_with_rng(rng), out),
            K::JobTitle => fake(job::en::Title().fake_with_rng(rng), out),
            K::Address => {
                self.push_street(rng, out);
                out.push_str(", ");
                fake(address::en::CityName().fake_with_rng(rng), out);
            }
            K::Street => self.push_street(rng, out),
            K::City => fake(address::en::CityName().fake_with_rng(rng), out),
            K::Country => fake(address::en::CountryName().fake_with_rng(rng), out),
            K::CountryCode => fake(address::en::CountryCode().fake_with_rng(rng), out),
            K::PostalCode => fake(address::en::ZipCode().fake_with_rng(rng), out),
            K::Word => out.push_str(self.word(rng, vocab::NOUNS)),
            K::Words => {
                let n = rng.random_range(2..=4);
                self.push_words(rng, out, n);
            }
            K::Title => {
                let start = out.len();
                if self.words.is_some() {
                    let n = rng.random_range(2..=5);
                    self.push_words(rng, out, n);
                } else {
                    self.push_words(rng, out, 2);
                    if rng.random_bool(0.5) {
                        out.push(' ');
                        out.push_str(vocab::PREPOSITIONS.choose(rng).unwrap_or(&"for"));
                        out.push_str(" the ");
                        let n = rng.random_range(1..=2);
                        self.push_words(rng, out, n);
                    }
                }
                title_case_from(out, start);
            }
            K::ProductName => {
                out.push_str(&title(vocab::ADJECTIVES.choose(rng).unwrap_or(&"")));
                out.push(' ');
                out.push_str(vocab::MATERIALS.choose(rng).unwrap_or(&""));
                out.push(' ');
                out.push_str(vocab::PRODUCTS.choose(rng).unwrap_or(&""));
            }
            K::Sentence => self.push_sentence(rng, out),
            K::Paragraph => self.push_paragraph(rng, out),
            K::Text => {
                let target = rng.random_range(self.min_len.max(1)..=self.max_len.max(1));
                let start = out.len();
                while out.len() - start < target {
                    if out.len() > start {
                        out.push_str("\n\n");
                    }
                    self.push_paragraph(rng, out);
                }
                truncate_bytes(out, start + target);
            }
            K::Date => {
                let secs = rng.random_range(EPOCH_FROM..EPOCH_TO);
                out.push_str(&format_epoch(secs, "%Y-%m-%d"));
            }
            K::DateTime => {
                let secs = rng.random_range(EPOCH_FROM..EPOCH_TO);
                out.push_str(&format_epoch(secs, "%Y-%m-%dT%H:%M:%SZ"));
            }
            K::Uuid => push_uuid(rng.random(), out),
            K::Hex => {
                let hi = self.max_len.min(self.min_len.max(32)).max(1);
                let lo = if self.min_len > 0 { self.min_len } else { hi };
                let n = rng.random_range(lo.min(hi)..=hi);
                for _ in 0..n {
                    out.push(char::from(b"0123456789abcdef"[rng.random_range(0..16)]));
                }
            }
            K::LanguageCode => out.push_str(vocab::LANGUAGE_CODES.choose(rng).unwrap_or(&"en")),
            K::Color => out.push_str(vocab::COLORS.choose(rng).unwrap_or(&"blue")),
            K::CurrencyCode => fake(currency::en::CurrencyCode().fake_with_rng(rng), out),
            K::MimeType => fake(filesystem::en::MimeType().fake_with_rng(rng), out),
            K::FilePath => fake(filesystem::en::FilePath().fake_with_rng(rng), out),
            K::UserAgent => fake(internet::en::UserAgent().fake_with_rng(rng), out),
        }
    }

    fn push_domain(&self, rng: &mut ChaCha8Rng, out: &mut String) {
        out.push_str(vocab::ADJECTIVES.choose(rng).unwrap_or(&""));
        out.push_str(vocab::NOUNS.choose(rng).unwrap_or(&""));
        out.push('.');
        out.push_str(vocab::TLDS.choose(rng).unwrap_or(&"com"));
    }

    fn push_street(&self, rng: &mut ChaCha8Rng, out: &mut String) {
        out.push_str(&rng.random_range(1..2000).to_string());
        out.push(' ');
        out.push_str(&address::en::StreetName().fake_with_rng::<String, _>(rng));
    }

    /// Appends one value that fits the byte limits.
    pub(crate) fn push_value(&self, rng: &mut ChaCha8Rng, out: &mut String) {
        let start = out.len();
        self.push_kind(rng, out);
        // Too short: continue with more of the same kind (words stay words, hex stays hex).
        while out.len() - start < self.min_len {
            let before = out.len();
            if self.kind != StringKind::Hex && out.len() > start {
                out.push(' ');
            }
            self.push_kind(rng, out);
            if out.len() == before {
                out.push('x');
            }
        }
        truncate_bytes(out, start + self.max_len);
        // A cut can leave a dangling space; dropping it must not undercut min_length.
        while out.len() - start > self.min_len.max(1) && out.ends_with(' ') {
            out.pop();
        }
        // Cutting on a character boundary can land a few bytes under a tight min_length.
        while out.len() - start < self.min_len {
            out.push('x');
        }
    }
}

impl ScalarSource for StringSource {
    fn draw(&self, rng: &mut ChaCha8Rng) -> Scalar {
        let mut s = String::new();
        self.push_value(rng, &mut s);
        Scalar::Str(s)
    }
}

/// 2015-01-01 .. 2026-01-01 in epoch seconds.
const EPOCH_FROM: i64 = 1_420_070_400;
const EPOCH_TO: i64 = 1_767_225_600;

fn format_epoch(secs: i64, pattern: &str) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format(pattern).to_string())
        .unwrap_or_default()
}

/// Formats 16 bytes as a version-4 UUID.
pub(crate) fn push_uuid(mut bytes: [u8; 16], out: &mut String) {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex::encode(bytes);
    for (i, range) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push('-');
        }
        out.push_str(&h[range]);
    }
}

/// Cuts `s` to at most `max` bytes without splitting a character.
pub(crate) fn truncate_bytes(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
}

/// `[determiner] [adjective] noun`, with "an" before a vowel.
fn push_phrase(rng: &mut ChaCha8Rng, out: &mut String) {
    let det = *vocab::DETERMINERS.choose(rng).unwrap_or(&"the");
    let adj = rng
        .random_bool(0.5)
        .then(|| *vocab::ADJECTIVES.choose(rng).unwrap_or(&""));
    let noun = *vocab::NOUNS.choose(rng).unwrap_or(&"");
    let next = adj.unwrap_or(noun);
    let vowel = next.starts_with(['a', 'e', 'i', 'o', 'u']);
    out.push_str(if det == "a" && vowel { "an" } else { det });
    for word in adj.into_iter().chain([noun]) {
        out.push(' ');
        out.push_str(word);
    }
}

fn capitalize_at(s: &mut str, at: usize) {
    if let Some(c) = s[at..].chars().next()
        && c.is_ascii_lowercase()
    {
        s[at..at + 1].make_ascii_uppercase();
    }
}

fn title(word: &str) -> String {
    let mut s = word.to_string();
    capitalize_at(&mut s, 0);
    s
}

/// Words a title keeps in lower case unless they open it.
const SMALL_WORDS: &[&str] = &[
    "a", "an", "the", "for", "with", "from", "about", "of", "near",
];

fn title_case_from(s: &mut String, start: usize) {
    let starts: Vec<usize> = s[start..]
        .char_indices()
        .filter(|(i, _)| *i == 0 || s.as_bytes()[start + i - 1] == b' ')
        .map(|(i, _)| start + i)
        .filter(|&at| {
            let word = s[at..].split(' ').next().unwrap_or("");
            at == start || !SMALL_WORDS.contains(&word)
        })
        .collect();
    for at in starts {
        capitalize_at(s, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DataType;
    use rand::SeedableRng;

    fn field(kind: &str, min: Option<u32>, max: u32) -> Field {
        let mut f = Field::new("s", DataType::VarChar);
        f.kind = Some(kind.into());
        f.min_length = min;
        f.max_length = Some(max);
        f
    }

    #[test]
    fn every_kind_respects_byte_limits() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for kind in StringKind::ALL {
            for (min, max) in [(None, 5), (None, 40), (Some(30), 40), (Some(100), 2000)] {
                let src = StringSource::new(&field(kind.name(), min, max), "s").unwrap();
                for _ in 0..50 {
                    let mut s = String::new();
                    src.push_value(&mut rng, &mut s);
                    let lo = min.unwrap_or(0) as usize;
                    assert!(
                        (lo..=max as usize).contains(&s.len()),
                        "{kind} {min:?}..{max}: {} bytes: {s:?}",
                        s.len()
                    );
                }
            }
        }
    }

    #[test]
    fn values_look_like_their_kind() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let one = |kind: &str, rng: &mut ChaCha8Rng| {
            let mut s = String::new();
            StringSource::new(&field(kind, None, 500), "s")
                .unwrap()
                .push_value(rng, &mut s);
            s
        };
        assert!(one("email", &mut rng).contains('@'));
        assert!(one("url", &mut rng).starts_with("https://"));
        let uuid = one("uuid", &mut rng);
        assert_eq!((uuid.len(), uuid.as_bytes()[14]), (36, b'4'));
        let date = one("date", &mut rng);
        assert!(
            chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_ok(),
            "{date}"
        );
        let dt = one("datetime", &mut rng);
        assert!(chrono::DateTime::parse_from_rfc3339(&dt).is_ok(), "{dt}");
        let sentence = one("sentence", &mut rng);
        assert!(sentence.ends_with('.') && sentence.as_bytes()[0].is_ascii_uppercase());
        for _ in 0..200 {
            let s = one("sentence", &mut rng).to_lowercase();
            let words: Vec<&str> = s.split(' ').collect();
            for pair in words.windows(2) {
                let vowel = pair[1].starts_with(['a', 'e', 'i', 'o', 'u']);
                assert!(!(pair[0] == "a" && vowel), "{s}");
            }
        }
        assert_eq!(one("ipv4", &mut rng).split('.').count(), 4);
    }

    #[test]
    fn user_words_are_the_vocabulary() {
        let mut f = field("words", None, 100);
        f.words = Some(vec!["alpha".into(), "beta".into()]);
        let src = StringSource::new(&f, "s").unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..20 {
            let mut s = String::new();
            src.push_value(&mut rng, &mut s);
            assert!(s.split(' ').all(|w| w == "alpha" || w == "beta"), "{s}");
        }
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let mut s = "añb".to_string();
        truncate_bytes(&mut s, 2);
        assert_eq!(s, "a");
    }
}
