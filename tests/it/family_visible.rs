//! The family's pages kept in memory are forgotten when something on them changes, because
//! database triggers say so (`family::cache`). These tests hold the running engine's triggers
//! to the one list of what a family can see (`family::visible::WATCHED`), and that list to the
//! columns the family's pages read, so a new family-visible column without a trigger fails.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use liaison::family::visible::{WATCHED, watches};

use crate::support::spawn_app;

#[derive(QueryableByName)]
struct TriggerRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    def: String,
}

/// (table, scope, event, columns for an update limited to some)
type Fire = (String, String, String, Option<BTreeSet<String>>);

fn parse(name: &str, def: &str) -> Fire {
    let after = &def[def.find(" AFTER ").expect("an AFTER trigger") + 7..];
    let on = after.find(" ON ").expect("ON table");
    let (event, rest) = (&after[..on], &after[on + 4..]);
    let table = rest
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches("public.")
        .to_owned();
    let (event, columns) = match event.split_once(" OF ") {
        Some((e, cols)) => (
            e,
            Some(cols.split(',').map(|c| c.trim().to_owned()).collect()),
        ),
        None => (event, None),
    };
    let event = event.trim().to_lowercase();
    let scope = name
        .strip_prefix(&format!("{table}_view_"))
        .and_then(|s| s.strip_suffix(&format!("_{event}")))
        .unwrap_or_else(|| panic!("{name} is not named <table>_view_<scope>_<event>"))
        .to_owned();
    (table, scope, event, columns)
}

#[tokio::test]
async fn the_triggers_fire_for_exactly_what_a_family_can_see() {
    let app = spawn_app().await;
    let postgres = app.database.is_postgres();
    let rows: Vec<TriggerRow> = app
        .with_conn(move |conn| {
            let sql = if postgres {
                "SELECT tgname::text AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger \
                 WHERE NOT tgisinternal"
            } else {
                "SELECT name, sql AS def FROM sqlite_master WHERE type = 'trigger'"
            };
            diesel::sql_query(sql).load(conn).unwrap()
        })
        .await;
    let fired: BTreeSet<Fire> = rows
        .iter()
        .filter(|r| r.name.contains("_view_"))
        .map(|r| parse(&r.name, &r.def))
        .collect();
    let declared: BTreeSet<Fire> = WATCHED
        .iter()
        .flat_map(|w| {
            let (table, scope) = (w.table.to_owned(), w.scope.as_str().to_owned());
            let columns = w
                .update_of
                .map(|c| c.iter().map(|c| (*c).to_owned()).collect());
            let mut fires = vec![(table.clone(), scope.clone(), "update".to_owned(), columns)];
            if w.inserts_and_deletes {
                for event in ["insert", "delete"] {
                    fires.push((table.clone(), scope.clone(), event.to_owned(), None));
                }
            }
            fires
        })
        .collect();
    let missing: Vec<_> = declared.difference(&fired).collect();
    let unlisted: Vec<_> = fired.difference(&declared).collect();
    assert!(
        missing.is_empty() && unlisted.is_empty(),
        "triggers missing for what a family sees: {missing:#?}\ntriggers not in family::visible: {unlisted:#?}"
    );
}

/// The schema tables a file names, by the name it uses (`cases as cases_t`).
fn schema_aliases(code: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for declaration in code.split("use crate::db::schema::").skip(1) {
        let tree = &declaration[..declaration.find(';').unwrap()];
        let tree = tree.trim().trim_start_matches('{').trim_end_matches('}');
        for item in tree.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (table, alias) = item.split_once(" as ").unwrap_or((item, item));
            out.insert(alias.trim().to_owned(), table.trim().to_owned());
        }
    }
    out
}

#[test]
fn every_column_the_family_pages_read_is_watched() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut unwatched = BTreeSet::new();
    let mut read = 0;
    for file in ["src/family/portal.rs", "src/family/messages.rs"] {
        let code = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        let aliases = schema_aliases(&code);
        for (alias, table) in &aliases {
            let mut rest = code.as_str();
            let needle = format!("{alias}::");
            while let Some(at) = rest.find(&needle) {
                let before = rest[..at].chars().last();
                rest = &rest[at + needle.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let column: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if matches!(
                    column.as_str(),
                    "table" | "all_columns" | "star" | "dsl" | ""
                ) {
                    continue;
                }
                read += 1;
                if !watches(table, &column) {
                    unwatched.insert(format!("{file}: {table}.{column}"));
                }
            }
        }
    }
    assert!(read > 20, "the reader found only {read} columns");
    assert!(
        unwatched.is_empty(),
        "a family reads these, and no trigger tells the cache when they change: {unwatched:#?}"
    );
}
