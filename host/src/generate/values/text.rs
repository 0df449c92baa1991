//! VarChar values by kind: names, e-mails, sentences, product names, dates, UUIDs, ...
//!
//! People, places and companies come from the `fake` crate; prose, product names and codes
//! from this tool's own vocabularies (see `vocab`), written straight into a reused buffer.
//! Every value is then fitted to the field's byte limits (see `fit`).

use std::fmt::Write as _;

use fake::Fake;
use fake::faker::address::en::{
    BuildingNumber, CityName, CountryCode, CountryName, StateAbbr, StreetName, ZipCode,
};
use fake::faker::company::en::CompanyName;
use fake::faker::currency::en::CurrencyCode;
use fake::faker::filesystem::en::{FilePath, MimeType};
use fake::faker::internet::en::{FreeEmail, UserAgent, Username};
use fake::faker::job::en::Title as JobTitle;
use fake::faker::name::en::{FirstName, LastName};
use fake::faker::phone_number::en::PhoneNumber;

use crate::schema::{Field, StringKind, WordFit, length_bounds, string_kind, word_based};

use super::fastrng::FastRng;
use super::fit::fit;
use super::numeric::{EPOCH_2020, EPOCH_2026_END};
use super::vocab::*;
use crate::generate::error::GenerateError;

/// Draws strings of one kind within byte limits.
#[derive(Debug, Clone)]
pub struct StrGen {
    kind: StringKind,
    /// The user's vocabulary, for word-based kinds: values are whole words of it.
    words: Option<UserWords>,
    min: usize,
    max: usize,
}

/// A user's `words` and the lengths whole words of them can reach.
#[derive(Debug, Clone)]
struct UserWords {
    list: Vec<String>,
    fit: WordFit,
}

impl StrGen {
    pub fn new(field: &Field) -> Result<StrGen, GenerateError> {
        let kind = string_kind(field).map_err(|e| GenerateError::field(&field.name, e))?;
        let (min, max) = length_bounds(field, kind);
        let words = match field.words.clone().filter(|w| !w.is_empty()) {
            Some(list) if word_based(kind) => {
                // A `word` is one word: no second word may complete a short one.
                let lengths: Vec<usize> = if kind == StringKind::Word {
                    Vec::new()
                } else {
                    list.iter().map(String::len).collect()
                };
                let fit = WordFit::new(lengths, min, max);
                if !list.iter().any(|w| fit.completable(w.len())) {
                    return Err(GenerateError::field(
                        &field.name,
                        format!("no value of whole `words` is between {min} and {max} UTF-8 bytes"),
                    ));
                }
                Some(UserWords { list, fit })
            }
            _ => None,
        };
        Ok(StrGen {
            kind,
            words,
            min,
            max,
        })
    }

    /// Replaces `out` with one value.
    pub fn draw(&self, rng: &mut FastRng, out: &mut String) {
        out.clear();
        if let Some(words) = &self.words {
            self.draw_words(words, rng, out);
            return;
        }
        if self.kind == StringKind::Text {
            let target = self.min + rng.below((self.max - self.min + 1) as u64) as usize;
            while out.len() < target {
                if !out.is_empty() {
                    out.push_str("\n\n");
                }
                self.paragraph(rng, out);
            }
            fit(out, self.min, target, |o| self.word(rng, o));
            return;
        }
        self.write_kind(rng, out);
        fit(out, self.min, self.max, |o| self.word(rng, o));
    }

    /// Whole words of the user's list joined by spaces, as many as the kind wants, each
    /// chosen among those that leave the value completable inside `[min, max]` (never cut,
    /// never padded: every value is made of the user's words only).
    fn draw_words(&self, words: &UserWords, rng: &mut FastRng, out: &mut String) {
        let (wanted, target) = match self.kind {
            StringKind::Word => (1, 0),
            StringKind::Words => (2 + rng.below(4), 0),
            StringKind::Title => (2 + rng.below(5), 0),
            StringKind::Sentence => (4 + rng.below(9), 0),
            StringKind::Paragraph => ((3 + rng.below(4)) * (4 + rng.below(9)), 0),
            _ => (
                u64::MAX,
                self.min + rng.below((self.max - self.min + 1) as u64) as usize,
            ),
        };
        let n = words.list.len();
        let mut count = 0u64;
        loop {
            let len = out.len();
            let in_range = count > 0 && len >= self.min;
            if in_range && (count >= wanted || len >= target) {
                break;
            }
            let sep = usize::from(count > 0);
            let start = rng.below(n as u64) as usize;
            let Some(word) = (0..n)
                .map(|k| &words.list[(start + k) % n])
                .find(|w| words.fit.completable(len + sep + w.len()))
            else {
                // Only when the value is already in range (the table guarantees a next word
                // otherwise).
                break;
            };
            if sep == 1 {
                out.push(' ');
            }
            out.push_str(word);
            count += 1;
        }
    }

    fn pick<'a>(rng: &mut FastRng, list: &[&'a str]) -> &'a str {
        list[rng.below(list.len() as u64) as usize]
    }

    fn word(&self, rng: &mut FastRng, out: &mut String) {
        out.push_str(Self::pick(rng, NOUNS));
    }

    fn any_word(&self, rng: &mut FastRng, out: &mut String) {
        let list = match rng.below(3) {
            0 => ADJECTIVES,
            1 => VERBS_PAST,
            _ => NOUNS,
        };
        out.push_str(Self::pick(rng, list));
    }

    fn sentence(&self, rng: &mut FastRng, out: &mut String) {
        let start = out.len();
        self.clause(rng, out);
        if rng.below(3) == 0 {
            out.push_str(", ");
            out.push_str(Self::pick(rng, CONNECTIVES));
            out.push(' ');
            self.clause(rng, out);
        }
        capitalize_at(out, start);
        out.push('.');
    }

    /// Determiner, noun phrase, verb, noun phrase and sometimes a prepositional phrase.
    fn clause(&self, rng: &mut FastRng, out: &mut String) {
        self.noun_phrase(rng, out);
        out.push(' ');
        out.push_str(Self::pick(rng, VERBS_PAST));
        out.push(' ');
        self.noun_phrase(rng, out);
        if rng.below(2) == 0 {
            out.push(' ');
            out.push_str(Self::pick(rng, PREPOSITIONS));
            out.push(' ');
            self.noun_phrase(rng, out);
        }
    }

    fn noun_phrase(&self, rng: &mut FastRng, out: &mut String) {
        let determiner = Self::pick(rng, DETERMINERS);
        out.push_str(determiner);
        out.push(' ');
        let next_word = out.len();
        if rng.below(2) == 0 {
            out.push_str(Self::pick(rng, ADJECTIVES));
            out.push(' ');
        }
        out.push_str(Self::pick(rng, NOUNS));
        // "an" before a vowel: fixed after the draws so the random sequence is unchanged.
        if determiner == "a" && takes_an(&out[next_word..]) {
            out.insert(next_word - 1, 'n');
        }
    }

    fn paragraph(&self, rng: &mut FastRng, out: &mut String) {
        let n = 3 + rng.below(4);
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            self.sentence(rng, out);
        }
    }

    /// A headline: a short clause in title case.
    fn title(&self, rng: &mut FastRng, out: &mut String) {
        let start = out.len();
        if rng.below(2) == 0 {
            out.push_str(Self::pick(rng, ADJECTIVES));
            out.push(' ');
        }
        out.push_str(Self::pick(rng, NOUNS));
        out.push(' ');
        out.push_str(Self::pick(rng, VERBS_PAST));
        out.push(' ');
        self.noun_phrase(rng, out);
        if rng.below(3) == 0 {
            out.push(' ');
            out.push_str(Self::pick(rng, PREPOSITIONS));
            out.push(' ');
            out.push_str(Self::pick(rng, NOUNS));
        }
        title_case(out, start);
    }

    fn write_kind(&self, rng: &mut FastRng, out: &mut String) {
        match self.kind {
            StringKind::Name => {
                push_fake(out, FirstName().fake_with_rng::<String, _>(rng));
                out.push(' ');
                push_fake(out, LastName().fake_with_rng::<String, _>(rng));
            }
            StringKind::FirstName => push_fake(out, FirstName().fake_with_rng(rng)),
            StringKind::LastName => push_fake(out, LastName().fake_with_rng(rng)),
            StringKind::Username => push_fake(out, Username().fake_with_rng(rng)),
            StringKind::Email => push_fake(out, FreeEmail().fake_with_rng(rng)),
            StringKind::Phone => push_fake(out, PhoneNumber().fake_with_rng(rng)),
            StringKind::Url => {
                out.push_str("https://www.");
                self.domain(rng, out);
                out.push('/');
                push_slug(out, Self::pick(rng, NOUNS));
                out.push('/');
                push_slug(out, Self::pick(rng, ADJECTIVES));
                out.push('-');
                push_slug(out, Self::pick(rng, NOUNS));
                let _ = write!(out, "-{}", 1000 + rng.below(99_000));
            }
            StringKind::Domain => self.domain(rng, out),
            StringKind::Ipv4 => {
                let _ = write!(
                    out,
                    "{}.{}.{}.{}",
                    1 + rng.below(223),
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(254)
                );
            }
            StringKind::Company => push_fake(out, CompanyName().fake_with_rng(rng)),
            StringKind::JobTitle => push_fake(out, JobTitle().fake_with_rng(rng)),
            StringKind::Address => {
                push_fake(out, BuildingNumber().fake_with_rng(rng));
                out.push(' ');
                push_fake(out, StreetName().fake_with_rng(rng));
                out.push_str(", ");
                push_fake(out, CityName().fake_with_rng(rng));
                out.push_str(", ");
                push_fake(out, StateAbbr().fake_with_rng(rng));
                out.push(' ');
                push_fake(out, ZipCode().fake_with_rng(rng));
            }
            StringKind::Street => {
                push_fake(out, BuildingNumber().fake_with_rng(rng));
                out.push(' ');
                push_fake(out, StreetName().fake_with_rng(rng));
            }
            StringKind::City => push_fake(out, CityName().fake_with_rng(rng)),
            StringKind::Country => push_fake(out, CountryName().fake_with_rng(rng)),
            StringKind::CountryCode => push_fake(out, CountryCode().fake_with_rng(rng)),
            StringKind::PostalCode => push_fake(out, ZipCode().fake_with_rng(rng)),
            StringKind::Word => self.word(rng, out),
            StringKind::Words => {
                let n = 2 + rng.below(4);
                for i in 0..n {
                    if i > 0 {
                        out.push(' ');
                    }
                    self.any_word(rng, out);
                }
            }
            StringKind::Title => self.title(rng, out),
            StringKind::ProductName => {
                out.push_str(Self::pick(rng, PRODUCT_ADJECTIVES));
                out.push(' ');
                if rng.below(3) != 0 {
                    out.push_str(Self::pick(rng, PRODUCT_MATERIALS));
                    out.push(' ');
                }
                out.push_str(Self::pick(rng, PRODUCT_NOUNS));
                out.push_str(Self::pick(rng, PRODUCT_SUFFIXES));
            }
            StringKind::Sentence => self.sentence(rng, out),
            StringKind::Paragraph | StringKind::Text => self.paragraph(rng, out),
            StringKind::Date => {
                let (y, m, d, _) = civil(random_epoch(rng));
                let _ = write!(out, "{y:04}-{m:02}-{d:02}");
            }
            StringKind::DateTime => {
                let (y, m, d, secs) = civil(random_epoch(rng));
                let _ = write!(
                    out,
                    "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60
                );
            }
            StringKind::Uuid => {
                let (a, b) = (rng.bits(), rng.bits());
                write_uuid(out, a, b);
            }
            StringKind::Hex => {
                let len = [64, 40, 32]
                    .into_iter()
                    .find(|n| *n <= self.max)
                    .unwrap_or(self.max);
                push_hex(out, rng, len);
            }
            StringKind::LanguageCode => out.push_str(Self::pick(rng, LANGUAGE_CODES)),
            StringKind::Color => out.push_str(Self::pick(rng, COLORS)),
            StringKind::CurrencyCode => push_fake(out, CurrencyCode().fake_with_rng(rng)),
            StringKind::MimeType => push_fake(out, MimeType().fake_with_rng(rng)),
            StringKind::FilePath => push_fake(out, FilePath().fake_with_rng(rng)),
            StringKind::UserAgent => push_fake(out, UserAgent().fake_with_rng(rng)),
        }
    }

    fn domain(&self, rng: &mut FastRng, out: &mut String) {
        push_slug(out, Self::pick(rng, ADJECTIVES));
        push_slug(out, Self::pick(rng, NOUNS));
        out.push('.');
        out.push_str(Self::pick(rng, TLDS));
    }
}

fn push_fake(out: &mut String, value: String) {
    out.push_str(&value);
}

/// Lower-case ASCII letters and digits of `word`, spaces dropped (for domains and URL paths).
fn push_slug(out: &mut String, word: &str) {
    out.extend(
        word.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase()),
    );
}

fn capitalize_at(out: &mut String, start: usize) {
    if let Some(c) = out[start..].chars().next()
        && c.is_lowercase()
    {
        if c.is_ascii() {
            out[start..start + 1].make_ascii_uppercase();
        } else {
            let upper: String = c.to_uppercase().collect();
            out.replace_range(start..start + c.len_utf8(), &upper);
        }
    }
}

/// Capitalizes each word of `out[start..]` except short function words after the first.
fn title_case(out: &mut String, start: usize) {
    let mut words = Vec::new();
    let mut at_word_start = true;
    for (i, c) in out[start..].char_indices() {
        if c == ' ' {
            at_word_start = true;
        } else if at_word_start {
            words.push(start + i);
            at_word_start = false;
        }
    }
    // Right to left, so a capital of another byte length never shifts a pending position.
    for (n, &pos) in words.iter().enumerate().rev() {
        let rest = &out[pos..];
        let word = rest.split(' ').next().unwrap_or("");
        let small = DETERMINERS.contains(&word) || PREPOSITIONS.contains(&word);
        if n == 0 || !small {
            capitalize_at(out, pos);
        }
    }
}

fn push_hex(out: &mut String, rng: &mut FastRng, len: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut bits = 0u64;
    for i in 0..len {
        if i % 16 == 0 {
            bits = rng.bits();
        }
        out.push(DIGITS[(bits & 15) as usize] as char);
        bits >>= 4;
    }
}

/// A version-4 UUID from 128 bits. All 64 bits of `a` survive (the version and variant bits
/// are inserted around them), so distinct `a` always give distinct UUIDs.
pub fn write_uuid(out: &mut String, a: u64, b: u64) {
    let a = a.to_be_bytes();
    let b = b.to_be_bytes();
    let bytes = [
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5],
        0x40 | (a[6] >> 4),
        (a[6] << 4) | (a[7] >> 4),
        0x80 | (a[7] & 0x0f),
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
    ];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 36];
    let mut pos = 0;
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text[pos] = b'-';
            pos += 1;
        }
        text[pos] = HEX[usize::from(byte >> 4)];
        text[pos + 1] = HEX[usize::from(byte & 15)];
        pos += 2;
    }
    out.push_str(std::str::from_utf8(&text).expect("ASCII hex"));
}

fn random_epoch(rng: &mut FastRng) -> i64 {
    EPOCH_2020 + rng.below((EPOCH_2026_END - EPOCH_2020 + 1) as u64) as i64
}

/// (year, month, day, seconds of day) of a Unix time, by the days-to-civil algorithm.
pub fn civil(epoch: i64) -> (i64, u32, u32, i64) {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs)
}

/// Whether English writes "an" before `word`: by sound, not spelling ("an hour", "a user").
fn takes_an(word: &str) -> bool {
    const VOWEL_SOUND: &[&str] = &["hour", "honest", "honor", "heir"];
    const CONSONANT_SOUND: &[&str] = &["uni", "use", "usu", "uti", "eu", "one", "once"];
    if VOWEL_SOUND.iter().any(|p| word.starts_with(p)) {
        return true;
    }
    word.starts_with(['a', 'e', 'i', 'o', 'u'])
        && !CONSONANT_SOUND.iter().any(|p| word.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DataType;

    fn varchar(name: &str, max: u32, kind: Option<&str>) -> Field {
        let mut f = Field::new(name, DataType::VarChar);
        f.max_length = Some(max);
        f.kind = kind.map(str::to_string);
        f
    }

    #[test]
    fn an_goes_by_sound() {
        for (word, an) in [
            ("apple", true),
            ("update", true),
            ("hour", true),
            ("user", false),
            ("unique", false),
            ("european", false),
            ("model", false),
        ] {
            assert_eq!(takes_an(word), an, "{word}");
        }
    }

    #[test]
    fn sentences_say_an_before_a_vowel() {
        let mut rng = FastRng::new(5);
        let mut out = String::new();
        let g = StrGen::new(&varchar("answer", 2000, Some("paragraph"))).unwrap();
        let mut articles = 0;
        for _ in 0..200 {
            g.draw(&mut rng, &mut out);
            let text = out.to_lowercase();
            let words: Vec<&str> = text.split(' ').collect();
            for pair in words.windows(2) {
                let vowel = pair[1].starts_with(['a', 'e', 'i', 'o', 'u']);
                assert!(!(pair[0] == "a" && vowel), "{out}");
                assert!(pair[0] != "an" || vowel, "{out}");
                articles += usize::from(pair[0] == "an");
            }
        }
        assert!(articles > 0, "no `an` in 200 paragraphs");
    }

    #[test]
    fn every_kind_fits_its_limits() {
        let mut rng = FastRng::new(11);
        let mut out = String::new();
        for kind in StringKind::ALL {
            for (min, max) in [(0, 8), (5, 40), (0, 300), (100, 120)] {
                let mut f = varchar("v", max, Some(kind.name()));
                f.min_length = Some(min);
                let g = StrGen::new(&f).unwrap();
                for _ in 0..200 {
                    g.draw(&mut rng, &mut out);
                    assert!(
                        (min as usize..=max as usize).contains(&out.len()),
                        "{kind} [{min}, {max}]: {out:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn multi_byte_words_fit_in_bytes() {
        let mut rng = FastRng::new(2);
        let mut out = String::new();
        for kind in ["word", "words", "sentence", "title", "paragraph", "text"] {
            let mut f = varchar("v", 17, Some(kind));
            f.min_length = Some(7);
            f.words = Some(vec!["日本語".into(), "naïve".into()]);
            let g = StrGen::new(&f).unwrap();
            for _ in 0..500 {
                g.draw(&mut rng, &mut out);
                assert!((7..=17).contains(&out.len()), "{kind}: {out:?}");
            }
        }
    }

    #[test]
    fn kinds_look_like_what_they_claim() {
        let mut rng = FastRng::new(4);
        let mut out = String::new();
        StrGen::new(&varchar("contact_email", 100, None))
            .unwrap()
            .draw(&mut rng, &mut out);
        assert!(out.contains('@'), "{out}");
        StrGen::new(&varchar("id", 36, Some("uuid")))
            .unwrap()
            .draw(&mut rng, &mut out);
        assert_eq!(out.len(), 36);
        assert_eq!(&out[14..15], "4");
        StrGen::new(&varchar("published_at", 32, Some("datetime")))
            .unwrap()
            .draw(&mut rng, &mut out);
        assert!(out.starts_with("202") && out.ends_with('Z'), "{out}");
        assert_eq!(civil(0), (1970, 1, 1, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0));
        let text = StrGen::new(&{
            let mut f = varchar("body", 2000, Some("text"));
            f.min_length = Some(1500);
            f
        })
        .unwrap();
        text.draw(&mut rng, &mut out);
        assert!((1500..=2000).contains(&out.len()));
    }
}
