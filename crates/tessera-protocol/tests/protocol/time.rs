use tessera_protocol::Timestamp;

#[test]
fn rfc3339_formats_utc() {
    assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00Z");
    assert_eq!(Timestamp(951_782_400).rfc3339(), "2000-02-29T00:00:00Z");
    assert_eq!(Timestamp(1_800_000_000).rfc3339(), "2027-01-15T08:00:00Z");
    assert_eq!(Timestamp(-1).rfc3339(), "1969-12-31T23:59:59Z");
}

#[test]
fn plus_saturates_and_seconds_since_counts_back() {
    assert_eq!(Timestamp(i64::MAX).plus(1), Timestamp(i64::MAX));
    assert_eq!(Timestamp(100).plus(-40), Timestamp(60));
    assert_eq!(Timestamp(100).seconds_since(Timestamp(40)), 60);
}
