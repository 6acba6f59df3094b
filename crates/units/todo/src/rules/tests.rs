//! The rules, case by case, with every limit at and past its edge.
#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::json;

fn fields(errors: Vec<FieldError>) -> Vec<String> {
    errors.into_iter().map(|e| e.field).collect()
}

#[test]
fn a_title_at_its_limit_passes_and_one_more_character_fails() {
    let at = "é".repeat(MAX_TITLE_CHARS);
    assert_eq!(draft(Some(&json!({ "title": at }))).unwrap().title, at);
    let past = "é".repeat(MAX_TITLE_CHARS + 1);
    assert_eq!(
        fields(draft(Some(&json!({ "title": past }))).unwrap_err()),
        ["/title"]
    );
}

#[test]
fn notes_at_their_limit_pass_and_one_more_character_fails() {
    let at = "x".repeat(MAX_NOTES_CHARS);
    assert!(draft(Some(&json!({ "title": "t", "notes": at }))).is_ok());
    let past = "x".repeat(MAX_NOTES_CHARS + 1);
    assert_eq!(
        fields(patch(Some(&json!({ "notes": past }))).unwrap_err()),
        ["/notes"]
    );
}

#[test]
fn every_broken_field_is_reported() {
    let body = json!({ "title": "  ", "notes": 5, "done": "yes", "colour": "red", "a/b": 1 });
    let got = fields(draft(Some(&body)).unwrap_err());
    assert_eq!(got, ["/title", "/notes", "/done", "/colour", "/a~1b"]);
    assert_eq!(fields(draft(Some(&json!({}))).unwrap_err()), ["/title"]);
    assert_eq!(fields(draft(Some(&json!([1]))).unwrap_err()), [""]);
    assert_eq!(fields(draft(None).unwrap_err()), [""]);
    assert_eq!(fields(patch(Some(&json!({}))).unwrap_err()), [""]);
    assert_eq!(
        fields(draft(Some(&json!({ "title": "a\u{7}b" }))).unwrap_err()),
        ["/title"]
    );
}

#[test]
fn a_patch_keeps_only_the_fields_given() {
    let p = patch(Some(&json!({ "done": true }))).unwrap();
    assert_eq!(
        p,
        TodoPatch {
            done: Some(true),
            ..Default::default()
        }
    );
}

#[test]
fn list_queries_default_and_refuse_bad_values_by_name() {
    let q = list_query(&BTreeMap::new()).unwrap();
    assert_eq!(
        (q.limit, q.sort, q.done),
        (DEFAULT_PAGE_SIZE, Sort::CreatedDesc, None)
    );
    let max = MAX_PAGE_SIZE.to_string();
    assert_eq!(
        list_query(&BTreeMap::from([("limit".to_string(), max)]))
            .unwrap()
            .limit,
        MAX_PAGE_SIZE
    );
    let bad: BTreeMap<String, String> = [
        ("limit", (MAX_PAGE_SIZE + 1).to_string()),
        ("done", "maybe".into()),
        ("sort", "size".into()),
        ("cursor", "@@".into()),
        ("colour", "red".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let got = fields(list_query(&bad).unwrap_err());
    assert_eq!(got, ["limit", "done", "sort", "cursor", "colour"]);
    let zero = BTreeMap::from([("limit".to_string(), "0".to_string())]);
    assert_eq!(fields(list_query(&zero).unwrap_err()), ["limit"]);
}

#[test]
fn if_match_reads_strong_tags_and_star() {
    assert_eq!(if_match(None), None);
    assert_eq!(if_match(Some("*")), None);
    assert_eq!(if_match(Some("\"3\"")), Some(vec![3]));
    assert_eq!(if_match(Some("\"3\", \"5\"")), Some(vec![3, 5]));
    assert_eq!(if_match(Some("W/\"3\"")), Some(vec![]));
    assert_eq!(if_match(Some("3")), Some(vec![]));
    assert_eq!(etag(7), "\"7\"");
}

#[test]
fn idempotency_keys_are_bounded() {
    let at = "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS);
    assert_eq!(idempotency_key(Some(&at)).unwrap(), Some(at.as_str()));
    let past = "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1);
    assert!(idempotency_key(Some(&past)).is_err());
    assert!(idempotency_key(Some("")).is_err());
    assert!(idempotency_key(Some("a\nb")).is_err());
    assert_eq!(idempotency_key(None).unwrap(), None);
}

#[test]
fn only_uuids_are_plausible_ids() {
    assert!(plausible_id(&uuid::Uuid::new_v4().to_string()));
    assert!(!plausible_id("1"));
    assert!(!plausible_id("a\0b"));
}

#[test]
fn an_owner_at_its_limit_passes_and_one_more_character_fails() {
    let q = |o: String| list_query(&BTreeMap::from([("owner".to_string(), o)]));
    let at = "u".repeat(MAX_OWNER_CHARS);
    assert_eq!(q(at.clone()).unwrap().owner, Some(at));
    assert_eq!(
        fields(q("u".repeat(MAX_OWNER_CHARS + 1)).unwrap_err()),
        ["owner"]
    );
    assert_eq!(fields(q(String::new()).unwrap_err()), ["owner"]);
    assert_eq!(fields(q("a\0b".into()).unwrap_err()), ["owner"]);
}

#[test]
fn every_sort_round_trips_by_its_name() {
    for (name, sort) in Sort::ALL {
        assert_eq!(Sort::parse(name), Some(sort));
        assert_eq!(sort.as_str(), name);
        assert_eq!(sort.descending(), name.starts_with('-'));
    }
    assert_eq!(Sort::parse("Title"), None);
}
