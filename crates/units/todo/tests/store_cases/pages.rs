//! Lists: keyset pages in every order while todos are added, the done filter, title order.

use std::collections::HashSet;
use std::sync::Arc;

use modt_store::Location;
use modt_todo::store::{self, ListSpec, NewTodo, Position, Sort, Stored, TodoStore};

use crate::{close, create, new, open, HOUR_MS, T0};

/// Walks `sort` from the start, `limit` per page, calling `between` after each page.
pub(crate) async fn walk(
    s: &Arc<dyn TodoStore>,
    sort: Sort,
    limit: usize,
    mut between: impl FnMut(usize) -> Option<NewTodo>,
) -> Vec<Stored> {
    let mut seen = Vec::new();
    let mut after = None;
    for page in 0.. {
        let spec = ListSpec {
            owner: "ann".into(),
            done: None,
            sort,
            after: after.clone(),
            limit,
        };
        let rows = s.list(&spec).await.unwrap();
        assert!(rows.len() <= limit);
        let Some(last) = rows.last() else { break };
        after = Some(Position {
            key: sort.key_of(last),
            id: last.todo.id.clone(),
        });
        seen.extend(rows);
        if let Some(todo) = between(page) {
            create(s, todo).await;
        }
    }
    seen
}

pub(crate) async fn pages_walk_every_order_without_gaps_or_repeats_while_todos_are_added(
    at: &Location,
) {
    let s = open(at).await;
    // Ten todos; pairs share their creation time, so ties are ordered by id.
    let mut originals = Vec::new();
    for i in 0..10 {
        let t = create(&s, new("ann", &format!("t{}", 9 - i), T0 + (i / 2) * 1000)).await;
        originals.push(t.id);
    }
    create(&s, new("bob", "not ann's", T0)).await;
    for (_, sort) in Sort::ALL {
        // Newer and older todos keep arriving between pages.
        let mut n = 0;
        let seen = walk(&s, sort, 3, |page| {
            n += 1;
            let at = if page % 2 == 0 {
                T0 + 100 * HOUR_MS + n
            } else {
                T0 - HOUR_MS - n
            };
            Some(new("ann", &format!("late{n}"), at))
        })
        .await;
        let ids: Vec<&String> = seen.iter().map(|r| &r.todo.id).collect();
        let unique: HashSet<&String> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{sort:?}: nothing twice");
        for id in &originals {
            assert!(
                unique.contains(id),
                "{sort:?}: every todo there from the start is shown"
            );
        }
        for pair in seen.windows(2) {
            let (a, b) = (
                (sort.key_of(&pair[0]), &pair[0].todo.id),
                (sort.key_of(&pair[1]), &pair[1].todo.id),
            );
            let ordered = match (&a.0, &b.0) {
                (store::SortKey::Time(x), store::SortKey::Time(y)) => (x, a.1) < (y, b.1),
                (store::SortKey::Text(x), store::SortKey::Text(y)) => (x, a.1) < (y, b.1),
                _ => panic!("mixed keys"),
            };
            assert_eq!(ordered, !sort.descending(), "{sort:?}: in order");
        }
    }
    close(&s).await;
}

pub(crate) async fn done_filters_and_titles_sort_bytewise(at: &Location) {
    let s = open(at).await;
    for (i, t) in ["b", "B", "a", "é", "z"].iter().enumerate() {
        let mut n = new("ann", t, T0 + i as i64);
        n.done = i % 2 == 0;
        create(&s, n).await;
    }
    let list = |done: Option<bool>, sort: Sort| ListSpec {
        owner: "ann".into(),
        done,
        sort,
        after: None,
        limit: 100,
    };
    let titles = |rows: Vec<Stored>| rows.into_iter().map(|r| r.todo.title).collect::<Vec<_>>();
    assert_eq!(
        titles(s.list(&list(None, Sort::Title)).await.unwrap()),
        ["B", "a", "b", "z", "é"]
    );
    assert_eq!(
        titles(s.list(&list(None, Sort::TitleDesc)).await.unwrap()),
        ["é", "z", "b", "a", "B"]
    );
    assert_eq!(
        titles(s.list(&list(Some(true), Sort::Created)).await.unwrap()),
        ["b", "a", "z"]
    );
    assert_eq!(
        titles(s.list(&list(Some(false), Sort::CreatedDesc)).await.unwrap()),
        ["é", "B"]
    );
    close(&s).await;
}
