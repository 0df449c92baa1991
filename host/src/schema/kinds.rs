//! The string kinds a VarChar field may ask for, and the guess made from a field's name when it
//! asks for none (so `email` columns hold e-mail addresses without any configuration).

use std::fmt;
use std::str::FromStr;

macro_rules! kinds {
    ($($variant:ident => $name:literal : $help:literal,)*) => {
        /// What a generated string looks like.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum StringKind { $($variant,)* }

        impl StringKind {
            pub const ALL: &'static [StringKind] = &[$(StringKind::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(StringKind::$variant => $name,)* }
            }

            pub fn help(self) -> &'static str {
                match self { $(StringKind::$variant => $help,)* }
            }
        }
    };
}

kinds! {
    Name => "name": "a person's full name",
    FirstName => "first_name": "a given name",
    LastName => "last_name": "a family name",
    Username => "username": "a login handle",
    Email => "email": "an e-mail address",
    Phone => "phone": "a phone number",
    Url => "url": "an https URL",
    Domain => "domain": "a domain name",
    Ipv4 => "ipv4": "an IPv4 address",
    Company => "company": "a company name",
    JobTitle => "job_title": "a job title",
    Address => "address": "a street address with city",
    Street => "street": "a street name and number",
    City => "city": "a city name",
    Country => "country": "a country name",
    CountryCode => "country_code": "an ISO 3166 country code",
    PostalCode => "postal_code": "a postal code",
    Word => "word": "one word (from `words` when given)",
    Words => "words": "a few words (from `words` when given)",
    Title => "title": "a short title-cased phrase",
    ProductName => "product_name": "a product name",
    Sentence => "sentence": "one sentence",
    Paragraph => "paragraph": "a few sentences",
    Text => "text": "paragraphs filling a length drawn between min_length and max_length",
    Date => "date": "a date, YYYY-MM-DD",
    DateTime => "datetime": "a UTC timestamp, RFC 3339",
    Uuid => "uuid": "a UUID (36 characters)",
    Hex => "hex": "lowercase hexadecimal digits",
    LanguageCode => "language_code": "an ISO 639-1 language code",
    Color => "color": "a colour name",
    CurrencyCode => "currency_code": "an ISO 4217 currency code",
    MimeType => "mime_type": "a MIME type",
    FilePath => "file_path": "a file path",
    UserAgent => "user_agent": "a browser user agent",
}

impl fmt::Display for StringKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StringKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        StringKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = StringKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown kind `{s}`; expected one of {}", names.join(", "))
            })
    }
}

impl StringKind {
    /// A sensible kind for a VarChar field from its name and length limit.
    pub fn guess(field_name: &str, max_length: u32) -> StringKind {
        let n = field_name.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
        if has(&["email", "mail"]) {
            StringKind::Email
        } else if has(&["url", "link", "href", "website"]) {
            StringKind::Url
        } else if has(&["phone", "mobile", "tel"]) {
            StringKind::Phone
        } else if has(&["uuid", "guid"]) {
            StringKind::Uuid
        } else if has(&["first_name", "firstname", "given_name"]) {
            StringKind::FirstName
        } else if has(&["last_name", "lastname", "surname", "family_name"]) {
            StringKind::LastName
        } else if has(&["username", "user_name", "login", "handle"]) {
            StringKind::Username
        } else if has(&["company", "brand", "vendor", "manufacturer", "publisher"]) {
            StringKind::Company
        } else if has(&[
            "author",
            "person",
            "customer",
            "owner",
            "full_name",
            "participant",
        ]) {
            StringKind::Name
        } else if has(&["product", "item_name"]) {
            StringKind::ProductName
        } else if has(&["address"]) {
            StringKind::Address
        } else if has(&["street"]) {
            StringKind::Street
        } else if has(&["city", "town"]) {
            StringKind::City
        } else if has(&["country"]) {
            if max_length < 8 {
                StringKind::CountryCode
            } else {
                StringKind::Country
            }
        } else if has(&["zip", "postal", "postcode"]) {
            StringKind::PostalCode
        } else if has(&["lang", "locale"]) {
            StringKind::LanguageCode
        } else if has(&["currency"]) {
            StringKind::CurrencyCode
        } else if has(&["color", "colour"]) {
            StringKind::Color
        } else if has(&["mime", "content_type"]) {
            StringKind::MimeType
        } else if has(&["path", "file"]) {
            StringKind::FilePath
        } else if has(&["ip_addr", "ipv4", "ip"]) && max_length >= 15 {
            StringKind::Ipv4
        } else if has(&["user_agent", "useragent"]) {
            StringKind::UserAgent
        } else if has(&["datetime", "timestamp", "_at", "time", "updated", "created"]) {
            if max_length >= 20 {
                StringKind::DateTime
            } else {
                StringKind::Date
            }
        } else if has(&["date", "day"]) {
            StringKind::Date
        } else if has(&["hash", "checksum", "digest", "token"]) {
            StringKind::Hex
        } else if has(&["job", "role", "position"]) {
            StringKind::JobTitle
        } else if has(&[
            "title", "headline", "subject", "question", "caption", "name", "label",
        ]) {
            if has(&["question"]) {
                StringKind::Sentence
            } else {
                StringKind::Title
            }
        } else if has(&[
            "category", "tag", "type", "status", "genre", "topic", "kind", "group", "keyword",
        ]) {
            StringKind::Word
        } else if max_length >= 1000
            || has(&[
                "content",
                "body",
                "text",
                "answer",
                "description",
                "summary",
                "episode",
                "comment",
                "review",
            ])
        {
            if max_length >= 200 {
                StringKind::Paragraph
            } else {
                StringKind::Sentence
            }
        } else if max_length <= 16 {
            StringKind::Word
        } else if max_length <= 64 {
            StringKind::Words
        } else {
            StringKind::Sentence
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_guesses_follow_field_names() {
        for k in StringKind::ALL {
            assert_eq!(k.name().parse::<StringKind>().unwrap(), *k);
        }
        assert!("emial".parse::<StringKind>().unwrap_err().contains("email"));
        assert_eq!(StringKind::guess("contact_email", 100), StringKind::Email);
        assert_eq!(StringKind::guess("headline", 300), StringKind::Title);
        assert_eq!(StringKind::guess("answer", 2000), StringKind::Paragraph);
        assert_eq!(StringKind::guess("category", 50), StringKind::Word);
    }
}
