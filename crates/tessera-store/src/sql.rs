//! What SQLite and PostgreSQL do differently, as the [`Dialect`] each store implements; all
//! else is one implementation of the store traits, `sql_store/`, in SQL both databases run.
//! `sqlite.rs` and `postgres.rs` each mount that directory as a module of their own
//! (`#[path = "sql_store/mod.rs"] mod sql_store;`), naming their store `Backend`, so it compiles
//! once against each driver's types; they keep only connecting, migrating and their dialect.
//!
//! One SQL text serves both databases: placeholders are `$N` (PostgreSQL's own; sqlx's SQLite
//! driver binds `$N` by its number, as it does `?N`), and an optional filter is
//! `CAST($N AS TEXT) IS NULL` (PostgreSQL must know the parameter's type; SQLite ignores it).
//!
//! Why one file mounted twice, the way the contract suite includes its cases once per store:
//! - not code generic over `sqlx::Database`: sqlx's generic API needs higher-ranked bounds for
//!   the executor and for every type bound or read (`for<'c> &'c mut DB::Connection:
//!   Executor<'c, Database = DB>`, `for<'q> i64: Encode<'q, DB>`, …) on each of the fourteen
//!   trait impls, and `rows_affected` belongs to no trait;
//! - not a `macro_rules!` expanding the impls for each store: rustfmt leaves a macro body
//!   unformatted as soon as one line in it (here, long SQL) overflows, and errors point at the
//!   invocation; the mounted file is ordinary Rust to rustfmt, the compiler and editors;
//! - not `sqlx::Any`: it converts every argument and row at run time.
//!
//! Clippy's `duplicate_mod` calls a file mounted twice a likely mistake; here it is the point,
//! so both mounts allow it.
//!
//! Each store still runs its own driver's code, with the statements and round trips a store
//! written for that database alone would make.

use std::future::Future;

use tessera_protocol::token::RefreshGrant;
use tessera_protocol::{SecretDigest, Timestamp};

use crate::StoreResult;

/// What one database does differently from the other; everything else is in `sql_store/`.
pub(crate) trait Dialect {
    type Db: sqlx::Database;

    /// The function giving the 1-based position of a substring (0 if absent), taking
    /// `(haystack, needle)`. Users are searched with it rather than LIKE so the search text is
    /// matched literally, wildcards and all.
    const POSITION: &'static str;

    /// Log events per INSERT statement (11 parameters each, far below either parameter limit).
    const LOG_ROWS_PER_INSERT: usize;

    /// Writes, and reads off the hot paths.
    fn pool(&self) -> &sqlx::Pool<Self::Db>;

    /// Reads on the hot paths.
    fn readers(&self) -> &sqlx::Pool<Self::Db>;

    /// A statement deleting at most `limit` (a placeholder) rows of `table` that match
    /// `condition` (which may end in an `ORDER BY`): housekeeping deletes in small batches so
    /// many nodes can run it at once.
    fn batch_delete(table: &str, condition: &str, limit: &str) -> String;

    /// A metadata path (keys of [`crate::MetadataKey`]'s alphabet) in the form
    /// [`Dialect::json_holds`] takes it as a parameter.
    fn json_path(keys: &[&str]) -> String;

    /// True when the JSON text in `column` holds, at the path `path` (a placeholder bound to
    /// [`Dialect::json_path`]), the scalar `value` (a placeholder bound to its JSON text), or
    /// an array with it among its elements; false when the path leads nowhere or to an object.
    fn json_holds(column: &str, path: &str, value: &str) -> String;

    /// [`crate::RefreshTokenStore::rotate_refresh_token`]: atomic on each database its own way.
    fn rotate_refresh(
        &self,
        old: &SecretDigest,
        new: &SecretDigest,
        grant: &RefreshGrant,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
