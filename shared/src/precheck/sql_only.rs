//! Prerequisites only a SQL session on blue can verify. The product holds no database
//! credentials, so it lists them under `notChecked` for the engine at hand: a passed
//! precheck never claims more than it read.

use super::Context;
use crate::input::Engine;

/// Which engines a SQL-only prerequisite concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    All,
    MysqlFamily,
    PostgresFamily,
    AuroraPostgresql,
}

impl Applies {
    fn to(self, engine: Engine) -> bool {
        match self {
            Applies::All => true,
            Applies::MysqlFamily => engine.is_mysql_family(),
            Applies::PostgresFamily => engine.is_postgres_family(),
            Applies::AuroraPostgresql => engine == Engine::AuroraPostgresql,
        }
    }
}

/// (id, engines, reason). The reason says what to run by hand.
pub const SQL_ONLY: &[(&str, Applies, &str)] = &[
    (
        "tables-without-primary-keys",
        Applies::All,
        "needs SQL: tables without a primary key replicate slowly (MySQL) or not at all for UPDATE/DELETE (PostgreSQL logical replication); list them from information_schema and add keys first",
    ),
    (
        "long-running-transactions",
        Applies::All,
        "needs SQL: long-running transactions on blue delay creation and block switchover; check information_schema.innodb_trx (MySQL) or pg_stat_activity (PostgreSQL) right before switchover",
    ),
    (
        "binlog-retention-hours",
        Applies::MysqlFamily,
        "needs SQL: `CALL mysql.rds_show_configuration` shows binlog retention hours; keep enough for green to catch up (seed 003)",
    ),
    (
        "replication-errors",
        Applies::MysqlFamily,
        "needs SQL: replication errors such as MySQL 1236 ('Could not find first log file name') only show on green; after rebooting blue, write a row on blue (seed 003 step 2)",
    ),
    (
        "postgres-sequences",
        Applies::PostgresFamily,
        "needs SQL: logical replication does not copy sequence values; RDS syncs them at switchover on recent versions only, so check sequences on green after switchover",
    ),
    (
        "pg-replication-limits-vs-databases",
        Applies::PostgresFamily,
        "needs SQL: max_replication_slots, max_wal_senders, max_logical_replication_workers and max_worker_processes must be at least the number of databases (`SELECT count(*) FROM pg_database`)",
    ),
    (
        "ddl-on-blue",
        Applies::AuroraPostgresql,
        "needs SQL/operations: DDL or large-object changes on blue while the deployment exists break Aurora PostgreSQL logical replication; freeze schema changes until switchover",
    ),
];

/// Lists the SQL-only prerequisites of the request's engine.
pub fn list(ctx: &mut Context<'_>) {
    let engine = ctx.engine();
    for (id, applies, reason) in SQL_ONLY {
        if applies.to(engine) {
            ctx.not_checked(id, *reason);
        }
    }
}
