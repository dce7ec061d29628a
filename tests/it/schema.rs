//! Migrations on both engines: paired, idempotent, reversible, the same tables and columns,
//! matching `schema.rs`, and append-only tables that the database itself protects.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use liaison::db::schema::*;
use liaison::db::{self, Db, DbConn};

use crate::support::{TestDatabase, spawn_app};

fn versions_in(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_engines_have_the_same_migrations_each_with_up_and_down() {
    let sqlite = versions_in("sqlite");
    let postgres = versions_in("postgres");
    assert_eq!(sqlite, postgres);
    for engine in ["sqlite", "postgres"] {
        for v in &sqlite {
            for file in ["up.sql", "down.sql"] {
                let path = format!(
                    "{}/migrations/{engine}/{v}/{file}",
                    env!("CARGO_MANIFEST_DIR")
                );
                assert!(std::path::Path::new(&path).exists(), "{path} is missing");
            }
        }
    }
}

fn fresh() -> (TestDatabase, Db) {
    let database = TestDatabase::new();
    let db = Db::connect(&database.url, 2).unwrap();
    (database, db)
}

#[test]
fn migrations_apply_once_revert_cleanly_and_apply_again() {
    let (_database, db) = fresh();
    let mut conn = db.get().unwrap();
    let expected = versions_in("sqlite").len();
    assert_eq!(db::migrate(&mut conn).unwrap(), expected);
    assert_eq!(
        db::migrate(&mut conn).unwrap(),
        0,
        "a second run changes nothing"
    );
    assert!(db::migrations_current(&mut conn).unwrap());
    assert_eq!(db::applied_migrations(&mut conn).unwrap().len(), expected);

    db::revert_all(&mut conn).unwrap();
    assert!(!db::migrations_current(&mut conn).unwrap());
    assert!(
        table_columns(&mut conn).is_empty(),
        "down migrations leave no table behind"
    );
    assert_eq!(db::migrate(&mut conn).unwrap(), expected);
    assert!(db::migrations_current(&mut conn).unwrap());
}

#[derive(QueryableByName, Debug)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

/// (table, column, not null) for every application table.
fn table_columns(conn: &mut DbConn) -> BTreeSet<(String, String, bool)> {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" OR p.pk > 0) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'"
        }
        DbConn::Pg(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql)
        .load::<ColumnRow>(conn)
        .unwrap()
        .into_iter()
        .map(|r| (r.table_name, r.column_name, r.not_null != 0))
        .collect()
}

#[test]
fn both_engines_build_the_same_tables_and_columns() {
    let Ok(pg_url) = std::env::var("LIAISON_TEST_DATABASE_URL") else {
        eprintln!(
            "LIAISON_TEST_DATABASE_URL is not set: the cross-engine comparison runs in .ci/run"
        );
        return;
    };
    assert!(pg_url.starts_with("postgres"));
    let pg = TestDatabase::new();
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("parity.db").display());
    let mut columns = Vec::new();
    for url in [sqlite_url.as_str(), pg.url.as_str()] {
        let db = Db::connect(url, 1).unwrap();
        let mut conn = db.get().unwrap();
        db::migrate(&mut conn).unwrap();
        columns.push(table_columns(&mut conn));
    }
    assert!(
        columns[0].len() > 200,
        "the full schema is there: {} columns",
        columns[0].len()
    );
    let only_sqlite: Vec<_> = columns[0].difference(&columns[1]).collect();
    let only_pg: Vec<_> = columns[1].difference(&columns[0]).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "SQLite only: {only_sqlite:?}\nPostgreSQL only: {only_pg:?}"
    );
}

macro_rules! select_every_column {
    ($conn:expr, $($table:ident),+ $(,)?) => {{
        let mut checked = Vec::new();
        $(
            $table::table
                .select($table::all_columns)
                .limit(1)
                .execute($conn)
                .unwrap_or_else(|e| panic!("schema.rs table {} does not match the database: {e}", stringify!($table)));
            checked.push(stringify!($table));
        )+
        checked
    }};
}

#[tokio::test]
async fn every_table_and_column_in_schema_rs_exists_in_the_database() {
    let app = spawn_app().await;
    let checked = app
        .with_conn(|conn| {
            select_every_column!(
                conn,
                teams,
                users,
                team_members,
                reference_counters,
                cases,
                case_status_changes,
                case_links,
                case_updates,
                case_stage_history,
                case_milestones,
                case_type_changes,
                operations,
                operation_cases,
                agency_contacts,
                referrals,
                entitlements,
                exit_plans,
                contact_plans,
                contact_plan_lapses,
                assignments,
                relatives,
                relative_versions,
                contacts,
                contact_relatives,
                contact_amendments,
                follow_ups,
                follow_up_events,
                update_reads,
                messages,
                message_reads,
                property_items,
                property_events,
                notifications,
                audit_events,
                sessions,
                sign_in_tokens,
                settings,
                setting_changes,
                bank_holidays,
                rate_limits,
                view_changes,
                family_groups,
                update_groups,
                relative_restrictions,
                appointment_answers,
                support_organisations,
            )
        })
        .await;
    let tables: BTreeSet<String> = app
        .with_conn(table_columns)
        .await
        .into_iter()
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(
        checked.len(),
        tables.len(),
        "every database table is described in schema.rs"
    );
}

/// Seeds the demo data and one contact with an amendment, and returns the contact's id.
fn seed_contact(conn: &mut DbConn) -> String {
    liaison::demo::load(conn).unwrap();
    let (case_id, officer): (String, String) = assignments::table
        .select((assignments::case_id, assignments::user_id))
        .first(conn)
        .unwrap();
    let relative: String = relatives::table
        .filter(relatives::case_id.eq(&case_id))
        .select(relatives::id)
        .first(conn)
        .unwrap();
    let now = db::now();
    let contact_id = liaison::domain::new_row_id();
    diesel::insert_into(contacts::table)
        .values((
            contacts::id.eq(&contact_id),
            contacts::case_id.eq(&case_id),
            contacts::occurred_at.eq(now),
            contacts::officer_id.eq(&officer),
            contacts::channel.eq("visit"),
            contacts::direction.eq("outbound"),
            contacts::discussion.eq("Original record"),
            contacts::recorded_by.eq(&officer),
            contacts::recorded_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(contact_relatives::table)
        .values((
            contact_relatives::contact_id.eq(&contact_id),
            contact_relatives::relative_id.eq(&relative),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(contact_amendments::table)
        .values((
            contact_amendments::id.eq(liaison::domain::new_row_id()),
            contact_amendments::contact_id.eq(&contact_id),
            contact_amendments::case_id.eq(&case_id),
            contact_amendments::reason.eq("Typo"),
            contact_amendments::recorded_by.eq(&officer),
            contact_amendments::recorded_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(relative_restrictions::table)
        .values((
            relative_restrictions::id.eq(liaison::domain::new_row_id()),
            relative_restrictions::relative_id.eq(&relative),
            relative_restrictions::case_id.eq(&case_id),
            relative_restrictions::restricted.eq(true),
            relative_restrictions::reason.eq("A person of interest"),
            relative_restrictions::recorded_by.eq(&officer),
            relative_restrictions::recorded_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(case_type_changes::table)
        .values((
            case_type_changes::id.eq(liaison::domain::new_row_id()),
            case_type_changes::case_id.eq(&case_id),
            case_type_changes::previous_type.eq("other"),
            case_type_changes::case_type.eq("homicide"),
            case_type_changes::reason.eq("Post-mortem findings"),
            case_type_changes::changed_by.eq(&officer),
            case_type_changes::changed_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    for (table, column, value) in [
        ("referrals", "organisation", "'Homicide Service'"),
        ("entitlements", "entitlement", "'vps_offered'"),
    ] {
        let extra = if table == "referrals" {
            (
                "offered_on, outcome, consent",
                "'2026-11-01', 'declined', FALSE",
            )
        } else {
            ("met_on", "'2026-11-01'")
        };
        diesel::sql_query(format!(
            "INSERT INTO {table} (id, case_id, relative_id, {column}, {}, recorded_by, recorded_at) \
             VALUES ('{}', '{case_id}', '{relative}', {value}, {}, '{officer}', '2026-11-01 10:00:00')",
            extra.0,
            liaison::domain::new_row_id(),
            extra.1,
        ))
        .execute(conn)
        .unwrap();
    }
    let follow_up = liaison::domain::new_row_id();
    diesel::sql_query(format!(
        "INSERT INTO follow_ups (id, case_id, purpose, assignee_id, due_at, is_appointment, status, \
         created_by, created_at, updated_at, version) VALUES ('{follow_up}', '{case_id}', 'Visit', \
         '{officer}', '2026-12-01 10:00:00', TRUE, 'open', '{officer}', '2026-11-01 10:00:00', \
         '2026-11-01 10:00:00', 1)"
    ))
    .execute(conn)
    .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO appointment_answers (id, follow_up_id, case_id, relative_id, answer, due_at, \
         answered_at) VALUES ('{}', '{follow_up}', '{case_id}', '{relative}', 'change', \
         '2026-12-01 10:00:00', '2026-11-02 10:00:00')",
        liaison::domain::new_row_id()
    ))
    .execute(conn)
    .unwrap();
    diesel::insert_into(case_stage_history::table)
        .values((
            case_stage_history::id.eq(liaison::domain::new_row_id()),
            case_stage_history::case_id.eq(&case_id),
            case_stage_history::stage.eq("post_mortem"),
            case_stage_history::reached_at.eq(now),
            case_stage_history::recorded_by.eq(&officer),
            case_stage_history::recorded_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    contact_id
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_append_only_records() {
    let app = spawn_app().await;
    let contact_id = app.with_conn(seed_contact).await;
    let refused = app
        .with_conn(move |conn| {
            let attempts = [
                "UPDATE contacts SET discussion = 'rewritten'",
                "DELETE FROM contacts",
                "UPDATE contact_amendments SET reason = 'rewritten'",
                "DELETE FROM contact_amendments",
                "UPDATE contact_relatives SET relative_id = relative_id",
                "DELETE FROM contact_relatives",
                "UPDATE audit_events SET detail = 'rewritten'",
                "DELETE FROM audit_events",
                "UPDATE relative_restrictions SET reason = 'rewritten'",
                "DELETE FROM relative_restrictions",
                "UPDATE case_milestones SET reached_on = NULL, state = 'not_needed', reason = 'rewritten'",
                "DELETE FROM case_milestones",
                "UPDATE case_type_changes SET reason = 'rewritten'",
                "DELETE FROM case_type_changes",
                "UPDATE case_stage_history SET stage = 'concluded'",
                "DELETE FROM case_stage_history",
                "UPDATE referrals SET outcome = 'accepted', consent = TRUE",
                "DELETE FROM referrals",
                "UPDATE entitlements SET note = 'rewritten'",
                "DELETE FROM entitlements",
                "UPDATE appointment_answers SET answer = 'suits'",
                "DELETE FROM appointment_answers",
            ];
            let mut refused = Vec::new();
            for sql in attempts {
                let result = diesel::sql_query(sql).execute(conn);
                let message = result.expect_err(sql).to_string();
                assert!(message.contains("append-only"), "{sql}: {message}");
                refused.push(sql);
            }
            if matches!(conn, DbConn::Pg(_)) {
                for table in [
                    "contacts",
                    "contact_amendments",
                    "contact_relatives",
                    "audit_events",
                    "relative_restrictions",
                    "case_milestones",
                    "case_type_changes",
                    "case_stage_history",
                    "referrals",
                    "entitlements",
                    "appointment_answers",
                ] {
                    let result =
                        diesel::sql_query(format!("TRUNCATE {table} CASCADE")).execute(conn);
                    assert!(result.is_err(), "TRUNCATE {table} must be refused");
                }
            }
            let discussion: String = contacts::table
                .find(&contact_id)
                .select(contacts::discussion)
                .first(conn)
                .unwrap();
            assert_eq!(discussion, "Original record");
            let audit_rows: i64 = audit_events::table.count().get_result(conn).unwrap();
            assert!(audit_rows > 0);
            refused.len()
        })
        .await;
    assert_eq!(refused, 22);
}

#[tokio::test]
async fn sqlite_connections_use_wal_full_sync_and_foreign_keys() {
    let app = spawn_app().await;
    if app.database.is_postgres() {
        return;
    }
    #[derive(QueryableByName)]
    struct Pragma {
        #[diesel(sql_type = Text)]
        value: String,
    }
    let read = |sql: &'static str| {
        let db = app.db.clone();
        move || {
            let mut conn = db.get().unwrap();
            diesel::sql_query(sql)
                .get_result::<Pragma>(&mut *conn)
                .unwrap()
                .value
        }
    };
    assert_eq!(
        tokio::task::spawn_blocking(read(
            "SELECT journal_mode AS value FROM pragma_journal_mode"
        ))
        .await
        .unwrap(),
        "wal"
    );
    assert_eq!(
        tokio::task::spawn_blocking(read(
            "SELECT CAST(synchronous AS TEXT) AS value FROM pragma_synchronous"
        ))
        .await
        .unwrap(),
        "2"
    );
    assert_eq!(
        tokio::task::spawn_blocking(read(
            "SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys"
        ))
        .await
        .unwrap(),
        "1"
    );
    assert_eq!(
        tokio::task::spawn_blocking(read(
            "SELECT CAST(timeout AS TEXT) AS value FROM pragma_busy_timeout"
        ))
        .await
        .unwrap(),
        "5000"
    );
}

#[tokio::test]
async fn a_failed_write_transaction_leaves_nothing_behind() {
    let app = spawn_app().await;
    let before: i64 = app
        .with_conn(|conn| teams::table.count().get_result(conn).unwrap())
        .await;
    let result: Result<(), liaison::error::AppError> = app
        .with_conn(|conn| {
            db::write(conn, |conn| {
                diesel::insert_into(teams::table)
                    .values((
                        teams::id.eq(liaison::domain::new_row_id()),
                        teams::name.eq("Half written"),
                        teams::created_at.eq(db::now()),
                    ))
                    .execute(conn)?;
                // A foreign key the database refuses: the whole transaction must roll back.
                diesel::insert_into(team_members::table)
                    .values((
                        team_members::team_id.eq("no such team"),
                        team_members::user_id.eq("no such user"),
                        team_members::added_at.eq(db::now()),
                    ))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await;
    assert!(result.is_err());
    let after: i64 = app
        .with_conn(|conn| teams::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(before, after);
}

/// Writes that arrive together share one SQLite commit (group commit): each still succeeds
/// or fails on its own, a failed or panicking write leaves nothing behind, and the others
/// are kept. On PostgreSQL each write is its own transaction; the outcome must be the same.
#[tokio::test]
async fn concurrent_writes_succeed_or_fail_on_their_own() {
    let app = spawn_app().await;
    let (commits_before, _) = app.db.group_commit_stats();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            db.run(move |conn| {
                db::write(conn, |conn| {
                    diesel::insert_into(teams::table)
                        .values((
                            teams::id.eq(liaison::domain::new_row_id()),
                            teams::name.eq(format!("Group {i}")),
                            teams::created_at.eq(db::now()),
                        ))
                        .execute(conn)?;
                    // Long enough for the other writers to queue behind this one.
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    if i == 7 {
                        panic!("a write that panics after inserting");
                    }
                    if i % 3 == 0 {
                        return Err(liaison::error::AppError::invalid("name", "refused"));
                    }
                    Ok(i)
                })
            })
            .await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let result = task.await.expect("the writer's task");
        match i {
            7 => assert!(result.is_err(), "the panicking write reports an error"),
            i if i % 3 == 0 => assert!(
                matches!(result, Err(liaison::error::AppError::Invalid { .. })),
                "write {i} gets its own error back: {result:?}"
            ),
            i => assert_eq!(result.ok(), Some(i), "write {i} succeeds"),
        }
    }
    let mut kept: Vec<String> = app
        .with_conn(|conn| {
            teams::table
                .filter(teams::name.like("Group %"))
                .select(teams::name)
                .load(conn)
                .unwrap()
        })
        .await;
    kept.sort();
    let mut expected: Vec<String> = (0..24)
        .filter(|i| i % 3 != 0 && *i != 7)
        .map(|i| format!("Group {i}"))
        .collect();
    expected.sort();
    assert_eq!(kept, expected);
    let (commits, writes) = app.db.group_commit_stats();
    if app.db.engine() == liaison::db::Engine::Sqlite {
        assert!(
            commits - commits_before < 24,
            "24 queued writes shared commits ({} commits for {writes} writes)",
            commits - commits_before
        );
    }
}

/// Every row of `table`'s (id, case id, family group) as text.
#[derive(QueryableByName, Debug)]
struct Placed {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    case_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    family_group_id: Option<String>,
}

fn placed(conn: &mut DbConn, table: &str, filter: &str) -> Vec<Placed> {
    diesel::sql_query(format!(
        "SELECT id, case_id, family_group_id FROM {table} WHERE {filter} ORDER BY id"
    ))
    .load(conn)
    .unwrap()
}

#[test]
fn the_family_groups_migration_makes_each_demo_case_one_group_and_loses_nothing() {
    let (_database, db) = fresh();
    let mut pooled = db.get().unwrap();
    let conn: &mut DbConn = &mut pooled;
    db::migrate(conn).unwrap();
    liaison::demo::load(conn).unwrap();
    // An appointment and a follow-up that is not one, beside the demo's relatives and message.
    let (case_id, officer): (String, String) = assignments::table
        .select((assignments::case_id, assignments::user_id))
        .first(conn)
        .unwrap();
    let group: String = family_groups::table
        .filter(family_groups::case_id.eq(&case_id))
        .select(family_groups::id)
        .first(conn)
        .unwrap();
    let now = db::now();
    for appointment in [true, false] {
        diesel::insert_into(follow_ups::table)
            .values((
                follow_ups::id.eq(liaison::domain::new_row_id()),
                follow_ups::case_id.eq(&case_id),
                follow_ups::purpose.eq("Visit"),
                follow_ups::assignee_id.eq(&officer),
                follow_ups::due_at.eq(now),
                follow_ups::is_appointment.eq(appointment),
                follow_ups::place.eq(appointment.then_some("Home")),
                follow_ups::status.eq("open"),
                follow_ups::created_by.eq(&officer),
                follow_ups::created_at.eq(now),
                follow_ups::updated_at.eq(now),
                follow_ups::version.eq(1_i64),
                follow_ups::family_group_id.eq(appointment.then_some(&group)),
            ))
            .execute(conn)
            .unwrap();
    }
    let before: Vec<Vec<String>> = ["relatives", "messages", "follow_ups"]
        .iter()
        .map(|t| placed(conn, t, "1 = 1").into_iter().map(|p| p.id).collect())
        .collect();
    assert!(before.iter().all(|ids| !ids.is_empty()));

    // Back to before groups (and whatever came after them), and forward again: as an
    // existing installation upgrades.
    let mut reverted = 0;
    while table_columns(conn)
        .iter()
        .any(|(t, _, _)| t == "family_groups")
    {
        db::revert_last(conn).unwrap();
        reverted += 1;
    }
    assert_eq!(db::migrate(conn).unwrap(), reverted);

    let groups: Vec<(String, String, String)> = family_groups::table
        .select((
            family_groups::id,
            family_groups::case_id,
            family_groups::name,
        ))
        .load(conn)
        .unwrap();
    let cases: i64 = cases::table.count().get_result(conn).unwrap();
    assert_eq!(groups.len() as i64, cases, "one group a case");
    assert!(
        groups
            .iter()
            .all(|(id, case, name)| id == case && name == "Family")
    );
    for (i, table) in ["relatives", "messages", "follow_ups"].iter().enumerate() {
        let rows = placed(conn, table, "1 = 1");
        let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
        assert_eq!(ids, before[i], "every row of {table} is still there");
    }
    for table in ["relatives", "messages"] {
        for row in placed(conn, table, "1 = 1") {
            assert_eq!(
                row.family_group_id.as_ref(),
                Some(&row.case_id),
                "{table} {row:?}"
            );
        }
    }
    let appointments = placed(conn, "follow_ups", "is_appointment");
    assert!(
        appointments
            .iter()
            .all(|p| p.family_group_id.as_ref() == Some(&p.case_id))
    );
    let others = placed(conn, "follow_ups", "NOT is_appointment");
    assert!(others.iter().all(|p| p.family_group_id.is_none()));
}

#[derive(QueryableByName, Debug, PartialEq)]
struct MappedMilestone {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    milestone: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    mapped_from: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    reached_on: Option<chrono::NaiveDate>,
}

#[test]
fn the_milestones_migration_maps_every_stage_and_keeps_the_stage_history() {
    let (_database, db) = fresh();
    let mut pooled = db.get().unwrap();
    let conn: &mut DbConn = &mut pooled;
    db::migrate(conn).unwrap();
    liaison::demo::load(conn).unwrap();
    let ids: Vec<String> = cases::table
        .order(cases::reference.asc())
        .select(cases::id)
        .load(conn)
        .unwrap();
    let user: String = users::table.select(users::id).first(conn).unwrap();
    // Back to the six stages, as an installation from before milestones.
    revert_to_before(conn, "case_milestones");
    // Three cases: one charged and in court, one at court or inquest without a charge, one
    // concluded; between them every stage, each with the update that recorded it.
    let histories: [(&str, &[&str]); 3] = [
        (
            &ids[0],
            &[
                "family_liaison_deployed",
                "post_mortem",
                "investigation",
                "charging_decision",
                "court_or_inquest",
            ],
        ),
        (&ids[1], &["family_liaison_deployed", "court_or_inquest"]),
        (
            &ids[2],
            &["family_liaison_deployed", "post_mortem", "concluded"],
        ),
    ];
    let mut written = Vec::new();
    for (case, stages) in histories {
        for (n, stage) in stages.iter().enumerate() {
            let (update, row) = (liaison::domain::new_row_id(), liaison::domain::new_row_id());
            let at = format!("2026-11-{:02} 23:30:00", 10 + n);
            diesel::sql_query(format!(
                "INSERT INTO case_updates (id, case_id, title, body, shared_with_family, stage, key_event, posted_by, posted_at) \
                 VALUES ('{update}', '{case}', 'Stage', 'Moved on', TRUE, '{stage}', TRUE, '{user}', '{at}')"
            ))
            .execute(conn)
            .unwrap();
            diesel::sql_query(format!(
                "INSERT INTO case_stage_history (id, case_id, stage, reached_at, update_id, recorded_by, recorded_at) \
                 VALUES ('{row}', '{case}', '{stage}', '{at}', '{update}', '{user}', '{at}')"
            ))
            .execute(conn)
            .unwrap();
            written.push((row, update, case.to_owned(), *stage, 10 + n as u32));
        }
        let last = stages.last().unwrap();
        diesel::sql_query(format!(
            "UPDATE cases SET stage = '{last}' WHERE id = '{case}'"
        ))
        .execute(conn)
        .unwrap();
    }

    db::migrate(conn).unwrap();

    let milestone_of = |conn: &mut DbConn, id: &str| -> (String, String) {
        cases::table
            .find(id)
            .select((cases::case_type, cases::milestone))
            .first(conn)
            .unwrap()
    };
    assert_eq!(
        milestone_of(conn, &ids[0]),
        ("other".into(), "trial".into())
    );
    assert_eq!(
        milestone_of(conn, &ids[1]),
        ("other".into(), "inquest".into())
    );
    assert_eq!(
        milestone_of(conn, &ids[2]),
        ("other".into(), "concluded".into())
    );
    for (row, update, case, stage, day) in &written {
        let expected = match (*stage, case == &ids[0]) {
            ("charging_decision", _) => "charge",
            ("court_or_inquest", true) => "trial",
            ("court_or_inquest", false) => "inquest",
            (same, _) => same,
        };
        let found: MappedMilestone = diesel::sql_query(format!(
            "SELECT id, milestone, mapped_from, reached_on FROM case_milestones WHERE id = '{row}'"
        ))
        .get_result(conn)
        .unwrap();
        assert_eq!(
            found,
            MappedMilestone {
                id: row.clone(),
                milestone: expected.to_owned(),
                mapped_from: (expected != *stage).then(|| stage.to_string()),
                reached_on: chrono::NaiveDate::from_ymd_opt(2026, 11, *day),
            },
            "{stage} of case {case}"
        );
        let on_update: Option<String> = case_updates::table
            .find(update)
            .select(case_updates::milestone)
            .first(conn)
            .unwrap();
        assert_eq!(
            on_update.as_deref(),
            Some(expected),
            "the update of {stage}"
        );
        let kept: String = case_stage_history::table
            .find(row)
            .select(case_stage_history::stage)
            .first(conn)
            .unwrap();
        assert_eq!(kept, *stage, "the stage history keeps the original name");
    }
}

/// Reverts migrations, newest first, until `table` is gone; returns how many.
fn revert_to_before(conn: &mut DbConn, table: &str) -> usize {
    let mut reverted = 0;
    while table_columns(conn).iter().any(|(t, _, _)| t == table) {
        db::revert_last(conn).unwrap();
        reverted += 1;
    }
    reverted
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Member {
    #[diesel(sql_type = Text)]
    operation_id: String,
    #[diesel(sql_type = Text)]
    case_id: String,
    #[diesel(sql_type = Text)]
    reason: String,
}

#[test]
fn the_operations_migration_makes_each_group_of_linked_cases_one_operation_with_its_reasons() {
    let (_database, db) = fresh();
    let mut pooled = db.get().unwrap();
    let conn: &mut DbConn = &mut pooled;
    db::migrate(conn).unwrap();
    liaison::demo::load(conn).unwrap();
    let mut ids: Vec<String> = cases::table.select(cases::id).load(conn).unwrap();
    ids.sort();
    let user: String = users::table.select(users::id).first(conn).unwrap();
    let reverted = revert_to_before(conn, "operations");
    // A chain: the first case linked to the second, the second to the third; and a link between
    // the first and the third made and removed.
    let link = |conn: &mut DbConn, a: &str, b: &str, reason: &str, at: &str, removed: bool| {
        let removed = if removed {
            format!("'{at}'")
        } else {
            "NULL".into()
        };
        let why = if removed == "NULL" {
            "NULL".to_owned()
        } else {
            "'A mistake'".to_owned()
        };
        diesel::sql_query(format!(
            "INSERT INTO case_links (id, case_id_a, case_id_b, reason, created_by, created_at, removed_at, removed_by, removal_reason) \
             VALUES ('{}', '{a}', '{b}', '{reason}', '{user}', '{at}', {removed}, {}, {why})",
            liaison::domain::new_row_id(),
            if removed == "NULL" { "NULL".to_owned() } else { format!("'{user}'") },
        ))
        .execute(conn)
        .unwrap();
    };
    link(
        conn,
        &ids[0],
        &ids[1],
        "Same suspect",
        "2026-11-20 10:00:00",
        false,
    );
    link(
        conn,
        &ids[1],
        &ids[2],
        "Same street",
        "2026-11-21 10:00:00",
        false,
    );
    link(
        conn,
        &ids[0],
        &ids[2],
        "Wrong case",
        "2026-11-19 10:00:00",
        true,
    );
    assert_eq!(db::migrate(conn).unwrap(), reverted);

    let operations: Vec<(String, String)> = operations::table
        .select((operations::id, operations::name))
        .load(conn)
        .unwrap();
    let first_reference: String = cases::table
        .find(&ids[0])
        .select(cases::reference)
        .first(conn)
        .unwrap();
    assert_eq!(
        operations,
        [(ids[0].clone(), format!("Linked cases {first_reference}"))]
    );
    let members: Vec<Member> = diesel::sql_query(
        "SELECT operation_id, case_id, reason FROM operation_cases ORDER BY case_id",
    )
    .load(conn)
    .unwrap();
    let expected = [
        (&ids[0], "Same suspect"),
        (&ids[1], "Same suspect; Same street"),
        (&ids[2], "Same street"),
    ];
    assert_eq!(members.len(), 3, "{members:?}");
    for (m, (case, reason)) in members.iter().zip(expected) {
        assert_eq!(
            (&m.operation_id, &m.case_id, m.reason.as_str()),
            (&ids[0], case, reason)
        );
    }
    let links: i64 = case_links::table.count().get_result(conn).unwrap();
    assert_eq!(links, 3, "the links are kept as they were");
}
