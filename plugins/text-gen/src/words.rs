//! The word model: word classes and sentence patterns. The words are our own list, chosen to
//! read like product, support and knowledge-base text; a few carry non-ASCII letters so byte
//! limits get exercised on multi-byte characters.

pub const DETERMINERS: &[&str] = &[
    "the", "a", "every", "this", "that", "each", "our", "their", "one", "some", "any", "no",
];

pub const ADJECTIVES: &[&str] = &[
    "quick", "quiet", "bright", "careful", "simple", "robust", "narrow", "wide", "early",
    "late", "shared", "private", "remote", "local", "stable", "fragile", "fresh", "stale",
    "large", "small", "hidden", "visible", "modern", "ancient", "gentle", "sudden", "steady",
    "noisy", "silent", "curious", "useful", "awkward", "precise", "rough", "smooth", "daily",
    "weekly", "urgent", "optional", "naïve", "crème", "frühe", "señorial", "cozy", "warm",
    "cold", "hybrid", "dense", "sparse", "typical",
];

pub const NOUNS: &[&str] = &[
    "server", "river", "garden", "report", "customer", "vector", "index", "window", "market",
    "engine", "village", "ticket", "record", "library", "schedule", "harbor", "signal",
    "bridge", "pattern", "forest", "kitchen", "meeting", "invoice", "journey", "question",
    "answer", "battery", "network", "painting", "recipe", "sensor", "station", "teacher",
    "student", "device", "budget", "shipment", "warehouse", "platform", "document", "query",
    "cluster", "neighbor", "mountain", "memory", "message", "café", "résumé", "façade",
    "piñata", "plan", "team", "story", "model", "update", "account", "order", "session",
];

pub const VERBS: &[&str] = &[
    "builds", "carries", "checks", "describes", "finds", "follows", "holds", "improves",
    "joins", "keeps", "leaves", "moves", "opens", "prepares", "reaches", "returns", "sends",
    "shows", "starts", "supports", "tracks", "updates", "watches", "writes", "replaces",
    "measures", "connects", "explains", "indexes", "retrieves", "schedules", "answers",
];

pub const ADVERBS: &[&str] = &[
    "quickly", "quietly", "rarely", "often", "carefully", "again", "already", "nearly",
    "slowly", "finally", "usually", "suddenly", "barely", "mostly", "gladly", "seldom",
];

pub const PREPOSITIONS: &[&str] = &[
    "near", "behind", "across", "under", "over", "beside", "within", "after", "before",
    "around", "through", "without", "toward", "among", "past", "along",
];

pub const CONJUNCTIONS: &[&str] = &["and", "but", "while", "because", "although", "so", "until"];

/// One slot of a sentence pattern.
#[derive(Clone, Copy)]
pub enum Slot {
    Det,
    Adj,
    Noun,
    Verb,
    Adv,
    Prep,
    Conj,
}

/// Sentence patterns; longer sentences come from joining clauses with a conjunction.
pub const PATTERNS: &[&[Slot]] = {
    use Slot::*;
    &[
        &[Det, Noun, Verb, Det, Noun],
        &[Det, Adj, Noun, Verb, Det, Noun],
        &[Det, Noun, Adv, Verb, Det, Adj, Noun],
        &[Det, Adj, Noun, Verb, Det, Noun, Prep, Det, Noun],
        &[Det, Noun, Prep, Det, Noun, Verb, Det, Adj, Noun],
        &[Det, Adj, Noun, Adv, Verb, Det, Noun, Conj, Det, Noun, Verb, Adv],
        &[Det, Noun, Verb, Det, Adj, Noun, Prep, Det, Adj, Noun],
    ]
};

pub fn words_for(slot: Slot) -> &'static [&'static str] {
    match slot {
        Slot::Det => DETERMINERS,
        Slot::Adj => ADJECTIVES,
        Slot::Noun => NOUNS,
        Slot::Verb => VERBS,
        Slot::Adv => ADVERBS,
        Slot::Prep => PREPOSITIONS,
        Slot::Conj => CONJUNCTIONS,
    }
}
