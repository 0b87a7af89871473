//! What the audit log keeps: every event, except that routine token exchanges (one per token,
//! thousands a second on a busy node) may be sampled or only counted; and for how long, with a
//! cap on the whole log so that its size is bounded whatever the load.

use std::num::NonZeroU32;

use super::EventType;

/// How the events of a routine type are kept. Metrics count every event in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// Every event is stored.
    Recorded,
    /// One event in this many is stored (marked with the rate).
    Sampled(NonZeroU32),
    /// None is stored; only the metrics count them.
    Counted,
}

impl Recording {
    /// Whether the `nth` routine event (counting from 0) is stored.
    pub fn keeps(self, nth: u64) -> bool {
        match self {
            Recording::Recorded => true,
            Recording::Sampled(every) => nth.is_multiple_of(u64::from(every.get())),
            Recording::Counted => false,
        }
    }
}

impl EventType {
    /// Token exchanges: one per token issued, so by far the most numerous and the least
    /// telling. Every other type — logins, failures, throttling, reuse and replay detection,
    /// consent and administrative changes — is always stored in full.
    pub const ROUTINE: [EventType; 3] = [
        EventType::CodeExchanged,
        EventType::ClientCredentialsExchanged,
        EventType::RefreshTokenExchanged,
    ];

    pub fn is_routine(self) -> bool {
        EventType::ROUTINE.contains(&self)
    }
}

/// How long events are kept, and how many at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Seconds an event is kept unless its type says otherwise.
    pub default: i64,
    /// Seconds events of these types are kept.
    pub by_type: Vec<(EventType, i64)>,
    /// Events the log holds at most: beyond, the oldest routine events go first, then the
    /// oldest of any type.
    pub max_events: u64,
}

impl Retention {
    /// Every purge by age: (types, seconds they are kept).
    pub fn rules(&self) -> Vec<(TypeSet, i64)> {
        let mut rules: Vec<(TypeSet, i64)> = self
            .by_type
            .iter()
            .map(|&(event_type, keep)| (TypeSet::Only(vec![event_type.code()]), keep))
            .collect();
        let overridden = self.by_type.iter().map(|(t, _)| t.code()).collect();
        rules.push((TypeSet::AllBut(overridden), self.default));
        rules
    }
}

/// A set of event type codes, as a purge selects them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeSet {
    Only(Vec<&'static str>),
    AllBut(Vec<&'static str>),
}

impl TypeSet {
    /// The routine types.
    pub fn routine() -> TypeSet {
        TypeSet::Only(EventType::ROUTINE.map(EventType::code).to_vec())
    }

    /// As the store takes it.
    pub fn as_store(&self) -> tessera_store::EventTypes<'_> {
        match self {
            TypeSet::Only(codes) => tessera_store::EventTypes::Only(codes),
            TypeSet::AllBut(codes) => tessera_store::EventTypes::AllBut(codes),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sampling_keeps_the_first_of_every_n_and_counting_keeps_none() {
        let every = Recording::Sampled(NonZeroU32::new(100).unwrap());
        let kept = (0..1000).filter(|&n| every.keeps(n)).count();
        assert_eq!(kept, 10);
        assert!(every.keeps(0) && every.keeps(100) && !every.keeps(99));
        assert!((0..1000).all(|n| Recording::Recorded.keeps(n)));
        assert!((0..1000).all(|n| !Recording::Counted.keeps(n)));
    }

    #[test]
    fn only_token_exchanges_are_routine() {
        let routine: Vec<_> = EventType::ALL
            .into_iter()
            .filter(|t| t.is_routine())
            .map(EventType::code)
            .collect();
        assert_eq!(routine, ["seacft", "seccft", "sertft"]);
        assert_eq!(
            routine,
            tessera_store::EXCHANGE_EVENT_TYPES,
            "the store keeps exactly the routine events apart, the ones the cap deletes first"
        );
    }

    #[test]
    fn types_with_their_own_retention_are_left_out_of_the_default_rule() {
        let retention = Retention {
            default: 30 * 86_400,
            by_type: vec![
                (EventType::ClientCredentialsExchanged, 86_400),
                (EventType::ApiOperation, 365 * 86_400),
            ],
            max_events: 1_000,
        };
        assert_eq!(
            retention.rules(),
            vec![
                (TypeSet::Only(vec!["seccft"]), 86_400),
                (TypeSet::Only(vec!["sapi"]), 365 * 86_400),
                (TypeSet::AllBut(vec!["seccft", "sapi"]), 30 * 86_400),
            ]
        );
    }
}
