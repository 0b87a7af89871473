use crate::common::params;
use tessera_protocol::params::{Params, RepeatedParam};

#[test]
fn params_value_is_returned_when_given_once() {
    let p = params(&[("state", "xyz"), ("scope", "openid")]);
    assert_eq!(p.get("state"), Ok(Some("xyz")));
    assert_eq!(p.get("scope"), Ok(Some("openid")));
}

#[test]
fn params_absent_parameter_is_none() {
    assert_eq!(params(&[("state", "xyz")]).get("nonce"), Ok(None));
    assert_eq!(Params::default().get("state"), Ok(None));
}

#[test]
fn params_empty_value_is_treated_as_omitted() {
    assert_eq!(params(&[("state", "")]).get("state"), Ok(None));
}

#[test]
fn params_empty_value_does_not_count_as_a_repetition() {
    let p = params(&[("state", ""), ("state", "xyz"), ("state", "")]);
    assert_eq!(p.get("state"), Ok(Some("xyz")));
    assert_eq!(p.first_repeated(&["state"]), None);
}

#[test]
fn params_repeated_parameter_is_repeated_param() {
    let p = params(&[("scope", "openid"), ("scope", "profile")]);
    let err = p.get("scope").unwrap_err();
    assert_eq!(err, RepeatedParam("scope".to_owned()));
    assert_eq!(
        err.to_string(),
        "parameter `scope` was given more than once"
    );
}

#[test]
fn params_repeated_parameter_with_identical_values_is_still_repeated() {
    let p = params(&[("state", "a"), ("state", "a")]);
    assert_eq!(p.get("state"), Err(RepeatedParam("state".to_owned())));
}

#[test]
fn params_names_are_case_sensitive() {
    let p = params(&[("state", "a"), ("State", "b")]);
    assert_eq!(p.get("state"), Ok(Some("a")));
    assert_eq!(p.get("State"), Ok(Some("b")));
    assert_eq!(p.get("STATE"), Ok(None));
}

#[test]
fn params_first_repeated_follows_the_order_of_names() {
    let p = params(&[("a", "1"), ("a", "2"), ("b", "1"), ("b", "2"), ("c", "1")]);
    assert_eq!(
        p.first_repeated(&["c", "b", "a"]),
        Some(RepeatedParam("b".to_owned()))
    );
    assert_eq!(
        p.first_repeated(&["a", "b"]),
        Some(RepeatedParam("a".to_owned()))
    );
}

#[test]
fn params_first_repeated_is_none_without_repetition() {
    let p = params(&[("a", "1"), ("b", "1"), ("b", "")]);
    assert_eq!(p.first_repeated(&["a", "b", "missing"]), None);
    assert_eq!(p.first_repeated(&[]), None);
}

#[test]
fn params_first_repeated_ignores_names_not_listed() {
    let p = params(&[("x", "1"), ("x", "2")]);
    assert_eq!(p.first_repeated(&["a", "b"]), None);
}
