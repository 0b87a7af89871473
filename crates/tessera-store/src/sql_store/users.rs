//! End users, and the Dashboard's administrators and their sessions.

use super::*;
use crate::user_search::{
    FlagField, IdentityField, MetadataField, RangeField, SortField, TextField, TextMatch,
    UserSearch, UserSort,
};
use crate::DATABASE_CONNECTION;

/// A user's columns as `create_user` and `upsert_user` write them: `$1`–`$12` bound by
/// [`bind_user`], `$13` the time.
pub(super) const INSERT_USER: &str =
    "INSERT INTO users (user_id, username, email, name, password_hash, email_verified,
        given_name, family_name, nickname, picture, user_metadata, app_metadata, blocked,
        created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE, $13, $13)";

/// Binds `$1`–`$12`: the id, the login, the password hash and the profile, in the order of
/// [`INSERT_USER`] and of `update_user`'s statement.
pub(super) fn bind_user<'q>(query: Query<'q>, user: &'q NewUser) -> StoreResult<Query<'q>> {
    let profile = &user.profile;
    Ok(query
        .bind(&user.user_id)
        .bind(&user.username)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(user.email_verified)
        .bind(&profile.given_name)
        .bind(&profile.family_name)
        .bind(&profile.nickname)
        .bind(&profile.picture)
        .bind(to_json(&profile.user_metadata)?)
        .bind(to_json(&profile.app_metadata)?))
}

/// The columns a term without a field is looked for in.
const ANYWHERE: [&str; 6] = [
    "email",
    "username",
    "name",
    "nickname",
    "given_name",
    "family_name",
];

/// A value a compiled search binds.
#[derive(Clone)]
enum SearchValue {
    Text(String),
    Number(i64),
    Flag(bool),
}

/// Turns a [`UserSearch`] into one SQL condition, collecting the values it binds (`$1`…).
#[derive(Default, Clone)]
struct SearchSql {
    values: Vec<SearchValue>,
}

impl SearchSql {
    fn bind(&mut self, value: SearchValue) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }

    fn text(&mut self, value: &str) -> String {
        format!(
            "CAST({} AS TEXT)",
            self.bind(SearchValue::Text(value.to_owned()))
        )
    }

    fn condition(&mut self, search: &UserSearch) -> String {
        let leaf = match search {
            UserSearch::All(terms) => return self.joined(terms, " AND ", "TRUE"),
            UserSearch::Any(terms) => return self.joined(terms, " OR ", "FALSE"),
            UserSearch::Not(term) => return format!("NOT ({})", self.condition(term)),
            UserSearch::Anywhere(text) => {
                let needle = format!("lower({})", self.text(text));
                let position = Backend::POSITION;
                ANYWHERE
                    .map(|column| {
                        format!("{position}(lower(COALESCE({column}, '')), {needle}) > 0")
                    })
                    .join(" OR ")
            }
            UserSearch::Text(field, matched) => self.text_condition(*field, matched),
            UserSearch::Flag(field, value) => {
                let column = match field {
                    FlagField::Blocked => "blocked",
                    FlagField::EmailVerified => "email_verified",
                };
                format!("{column} = {}", self.bind(SearchValue::Flag(*value)))
            }
            UserSearch::Range(field, low, high) => {
                let column = range_column(*field);
                let mut bounds = vec![format!("{column} IS NOT NULL")];
                if let Some(low) = low {
                    bounds.push(format!(
                        "{column} >= {}",
                        self.bind(SearchValue::Number(*low))
                    ));
                }
                if let Some(high) = high {
                    bounds.push(format!(
                        "{column} <= {}",
                        self.bind(SearchValue::Number(*high))
                    ));
                }
                bounds.join(" AND ")
            }
            UserSearch::Identity(field, value) => {
                let (column, database) = match field {
                    IdentityField::Connection => ("c.name", DATABASE_CONNECTION),
                    IdentityField::Provider => ("c.strategy", "auth0"),
                };
                let value_sql = self.text(value);
                let own = if value == database {
                    "user_id LIKE 'auth0|%' OR "
                } else {
                    ""
                };
                format!(
                    "{own}EXISTS (SELECT 1 FROM user_identities i
                        JOIN connections c ON c.id = i.connection_id
                        WHERE i.user_id = users.user_id AND {column} = {value_sql})"
                )
            }
            UserSearch::Metadata { of, path, json } => {
                let column = match of {
                    MetadataField::App => "app_metadata",
                    MetadataField::User => "user_metadata",
                };
                let keys: Vec<&str> = path.iter().map(|key| key.as_str()).collect();
                let path = self.bind(SearchValue::Text(Backend::json_path(&keys)));
                let held: Vec<String> = json
                    .iter()
                    .map(|value| {
                        let value = self.bind(SearchValue::Text(value.clone()));
                        Backend::json_holds(column, &path, &value)
                    })
                    .collect();
                if held.is_empty() {
                    "FALSE".to_owned()
                } else {
                    held.join(" OR ")
                }
            }
        };
        // A column that is NULL makes its comparison NULL; a NOT around it must still hold.
        format!("COALESCE(({leaf}), FALSE)")
    }

    fn joined(&mut self, terms: &[UserSearch], operator: &str, empty: &str) -> String {
        if terms.is_empty() {
            return empty.to_owned();
        }
        let parts: Vec<String> = terms
            .iter()
            .map(|term| format!("({})", self.condition(term)))
            .collect();
        parts.join(operator)
    }

    fn text_condition(&mut self, field: TextField, matched: &TextMatch) -> String {
        let column = match field {
            TextField::Email => "email".to_owned(),
            TextField::Name => "name".to_owned(),
            TextField::GivenName => "given_name".to_owned(),
            TextField::FamilyName => "family_name".to_owned(),
            TextField::Nickname => "nickname".to_owned(),
            TextField::Username => "username".to_owned(),
            TextField::UserId => "user_id".to_owned(),
            TextField::EmailDomain => {
                format!("substr(email, {}(email, '@') + 1)", Backend::POSITION)
            }
            TextField::LastIp => "last_ip".to_owned(),
        };
        let value = match matched {
            TextMatch::Is(value) | TextMatch::StartsWith(value) | TextMatch::EndsWith(value) => {
                self.text(value)
            }
        };
        let (x, v) = if field.ignores_case() {
            (format!("lower({column})"), format!("lower({value})"))
        } else {
            (column, value)
        };
        match matched {
            TextMatch::Is(_) => format!("{x} = {v}"),
            TextMatch::StartsWith(_) => format!("substr({x}, 1, length({v})) = {v}"),
            TextMatch::EndsWith(_) => format!(
                "length({x}) >= length({v}) AND substr({x}, length({x}) - length({v}) + 1) = {v}"
            ),
        }
    }

    fn bind_all<'q>(self, mut query: Query<'q>) -> Query<'q> {
        for value in self.values {
            query = match value {
                SearchValue::Text(text) => query.bind(text),
                SearchValue::Number(number) => query.bind(number),
                SearchValue::Flag(flag) => query.bind(flag),
            };
        }
        query
    }
}

fn range_column(field: RangeField) -> &'static str {
    match field {
        RangeField::LoginsCount => "logins_count",
        RangeField::CreatedAt => "created_at",
        RangeField::UpdatedAt => "updated_at",
        RangeField::LastLogin => "last_login",
    }
}

/// `ORDER BY` for a user list: missing values last either way, on both databases.
fn order_of(sort: Option<UserSort>) -> String {
    let Some(sort) = sort else {
        return "username, user_id".to_owned();
    };
    let column = match sort.by {
        SortField::Email => "email",
        SortField::Name => "name",
        SortField::Username => "username",
        SortField::Nickname => "nickname",
        SortField::UserId => "user_id",
        SortField::CreatedAt => "created_at",
        SortField::UpdatedAt => "updated_at",
        SortField::LastLogin => "last_login",
        SortField::LoginsCount => "logins_count",
    };
    let direction = if sort.descending { "DESC" } else { "ASC" };
    format!("({column} IS NULL), {column} {direction}, user_id")
}

#[async_trait]
impl UserStore for Backend {
    async fn upsert_user(&self, user: &NewUser, now: Timestamp) -> StoreResult<User> {
        let sql = format!(
            "{INSERT_USER}
             ON CONFLICT (username) WHERE user_id LIKE 'auth0|%' DO UPDATE SET email = excluded.email, name = excluded.name,
                password_hash = excluded.password_hash, email_verified = excluded.email_verified,
                updated_at = excluded.updated_at
             RETURNING *"
        );
        let row = bind_user(sqlx::query(&sql), user)?
            .bind(now.0)
            .fetch_one(self.pool())
            .await?;
        user_from_row(&row)
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE (username = $1 OR email = $1) AND user_id LIKE 'auth0|%' LIMIT 1")
            .bind(login)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user(&self, user_id: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users_by_email(&self, email: &str) -> StoreResult<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users WHERE email = $1 ORDER BY user_id")
            .bind(email)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn create_user(&self, user: &NewUser, now: Timestamp) -> StoreResult<User> {
        let sql = format!("{INSERT_USER} RETURNING *");
        let row = bind_user(sqlx::query(&sql), user)?
            .bind(now.0)
            .fetch_one(self.pool())
            .await
            .map_err(conflict_as("a user with this id, username or email"))?;
        user_from_row(&row)
    }

    async fn update_user(&self, user: &User, now: Timestamp) -> StoreResult<bool> {
        let fields = NewUser::from(user);
        let result = bind_user(
            sqlx::query(
                "UPDATE users SET username = $2, email = $3, name = $4, password_hash = $5,
                    email_verified = $6, given_name = $7, family_name = $8, nickname = $9,
                    picture = $10, user_metadata = $11, app_metadata = $12, blocked = $13,
                    updated_at = $14
                 WHERE user_id = $1",
            ),
            &fields,
        )?
        .bind(user.blocked)
        .bind(now.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as("a user with this username or email"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn replace_password_hash(
        &self,
        user_id: &str,
        old: &str,
        new: &str,
    ) -> StoreResult<bool> {
        let replaced = sqlx::query(
            "UPDATE users SET password_hash = $3 WHERE user_id = $1 AND password_hash = $2",
        )
        .bind(user_id)
        .bind(old)
        .bind(new)
        .execute(self.pool())
        .await?;
        Ok(replaced.rows_affected() == 1)
    }

    async fn record_user_login(
        &self,
        user_id: &str,
        ip: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET last_login = $2, last_ip = $3, logins_count = logins_count + 1
             WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(now.0)
        .bind(ip)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn delete_user(&self, user_id: &str) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM users WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn remember_password(
        &self,
        user_id: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO password_history (user_id, password_hash, set_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(password_hash)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM password_history WHERE user_id = $1 AND password_hash NOT IN (
                 SELECT password_hash FROM password_history WHERE user_id = $1
                 ORDER BY set_at DESC LIMIT $2)",
        )
        .bind(user_id)
        .bind(crate::PASSWORD_HISTORY_KEPT as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn previous_passwords(&self, user_id: &str, limit: usize) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT password_hash FROM password_history WHERE user_id = $1
             ORDER BY set_at DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.readers())
        .await?)
    }

    async fn list_users(
        &self,
        page: Page,
        search: Option<&UserSearch>,
        sort: Option<UserSort>,
    ) -> StoreResult<Listing<User>> {
        let mut compiled = SearchSql::default();
        let matches = search.map_or_else(|| "TRUE".to_owned(), |search| compiled.condition(search));
        let limit = compiled.values.len() + 1;
        let order = order_of(sort);
        let sql = format!(
            "SELECT * FROM users WHERE {matches} ORDER BY {order} LIMIT ${limit} OFFSET ${}",
            limit + 1
        );
        let rows = compiled
            .clone()
            .bind_all(sqlx::query(&sql))
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(self.pool())
            .await?;
        let counted_sql = format!("SELECT COUNT(*) AS total FROM users WHERE {matches}");
        let total: i64 = compiled
            .bind_all(sqlx::query(&counted_sql))
            .fetch_one(self.pool())
            .await?
            .try_get("total")?;
        let total = u64::try_from(total).unwrap_or(0);
        let items = rows.iter().map(user_from_row).collect::<StoreResult<_>>()?;
        Ok(Listing { items, total })
    }
}

#[async_trait]
impl AdminStore for Backend {
    async fn create_admin(&self, admin: &Admin) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO admins (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&admin.username)
        .bind(&admin.password_hash)
        .bind(admin.role.as_str())
        .bind(admin.created_at.0)
        .execute(self.pool())
        .await
        .map_err(conflict_as("admin"))?;
        Ok(())
    }

    async fn admin(&self, username: &str) -> StoreResult<Option<Admin>> {
        let row = sqlx::query(
            "SELECT username, password_hash, role, created_at FROM admins WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.readers())
        .await?;
        row.as_ref().map(admin_from_row).transpose()
    }

    async fn list_admins(&self) -> StoreResult<Vec<Admin>> {
        let rows = sqlx::query(
            "SELECT username, password_hash, role, created_at FROM admins ORDER BY username",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(admin_from_row).collect()
    }

    async fn create_admin_session(
        &self,
        digest: &SecretDigest,
        session: &AdminSession,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO admin_sessions (digest, username, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(&session.username)
        .bind(now.0)
        .bind(session.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn admin_session(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
    ) -> StoreResult<Option<AdminSession>> {
        let row = sqlx::query(
            "SELECT username, expires_at FROM admin_sessions WHERE digest = $1 AND expires_at > $2",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(now.0)
        .fetch_optional(self.readers())
        .await?;
        row.map(|row| -> StoreResult<AdminSession> {
            Ok(AdminSession {
                username: row.try_get("username")?,
                expires_at: Timestamp(row.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    async fn end_admin_session(&self, digest: &SecretDigest) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM admin_sessions WHERE digest = $1")
            .bind(digest.as_bytes().as_slice())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
