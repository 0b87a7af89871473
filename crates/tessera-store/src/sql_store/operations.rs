//! Housekeeping, brute-force counters and the audit log.

use super::*;

/// Which rows of its table have expired: `$1` is now, `$2` the revocation cutoff.
fn expired(what: Expiring) -> &'static str {
    match what {
        Expiring::RevokedRefreshTokens => "revoked_at < $2",
        _ => "expires_at <= $1",
    }
}

#[async_trait]
impl Housekeeping for Backend {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    async fn probe_write(&self, padding: &[u8], now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO write_probe (id, padding, probed_at) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET padding = excluded.padding, probed_at = excluded.probed_at",
        )
        .bind(padding)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn purge_expired(
        &self,
        what: Expiring,
        now: Timestamp,
        revoked_before: Timestamp,
        batch: i64,
    ) -> StoreResult<u64> {
        let sql = Self::batch_delete(what.table(), expired(what), "$3");
        let result = sqlx::query(&sql)
            .bind(now.0)
            .bind(revoked_before.0)
            .bind(batch)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }
}

/// Stale login failures: `$1` is the cutoff, `$2` the batch size.
const STALE_LOGIN_FAILURES: [(&str, &str); 2] = [
    ("login_failures", "last_failed_at <= $1"),
    ("ip_login_failures", "window_started_at <= $1"),
];

#[async_trait]
impl LoginAttemptStore for Backend {
    async fn record_login_failure(
        &self,
        account: &str,
        ip: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<u32> {
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (account, ip, failures, last_failed_at) VALUES ($1, $2, 1, $3)
             ON CONFLICT (account, ip) DO UPDATE SET
                failures = CASE WHEN login_failures.last_failed_at <= $4 THEN 1 ELSE login_failures.failures + 1 END,
                last_failed_at = excluded.last_failed_at
             RETURNING failures",
        )
        .bind(account)
        .bind(ip)
        .bind(now.0)
        .bind(stale_before.0)
        .fetch_one(self.pool())
        .await?;
        Ok(count_of(failures))
    }

    async fn login_failures(&self, account: &str, ip: &str, since: Timestamp) -> StoreResult<u32> {
        let failures: Option<i64> = sqlx::query_scalar(
            "SELECT failures FROM login_failures WHERE account = $1 AND ip = $2 AND last_failed_at > $3",
        )
        .bind(account)
        .bind(ip)
        .bind(since.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(failures.map_or(0, count_of))
    }

    async fn clear_login_failures(&self, account: &str, ip: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE account = $1 AND ip = $2")
            .bind(account)
            .bind(ip)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn blocked_ips(
        &self,
        account: &str,
        threshold: u32,
        since: Timestamp,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT ip FROM login_failures WHERE account = $1 AND failures >= $2 AND last_failed_at > $3 ORDER BY ip",
        )
        .bind(account)
        .bind(i64::from(threshold))
        .bind(since.0)
        .fetch_all(self.pool())
        .await?)
    }

    async fn clear_account_failures(&self, account: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM login_failures WHERE account = $1")
            .bind(account)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    async fn record_ip_failure(
        &self,
        ip: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<u32> {
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO ip_login_failures (ip, failures, window_started_at) VALUES ($1, 1, $2)
             ON CONFLICT (ip) DO UPDATE SET
                failures = CASE WHEN ip_login_failures.window_started_at <= $3 THEN 1 ELSE ip_login_failures.failures + 1 END,
                window_started_at = CASE WHEN ip_login_failures.window_started_at <= $3 THEN excluded.window_started_at ELSE ip_login_failures.window_started_at END
             RETURNING failures",
        )
        .bind(ip)
        .bind(now.0)
        .bind(stale_before.0)
        .fetch_one(self.pool())
        .await?;
        Ok(count_of(failures))
    }

    async fn ip_failures(&self, ip: &str, since: Timestamp) -> StoreResult<u32> {
        let failures: Option<i64> = sqlx::query_scalar(
            "SELECT failures FROM ip_login_failures WHERE ip = $1 AND window_started_at > $2",
        )
        .bind(ip)
        .bind(since.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(failures.map_or(0, count_of))
    }

    async fn purge_login_failures(&self, before: Timestamp, batch: i64) -> StoreResult<u64> {
        let mut purged = 0;
        for (table, condition) in STALE_LOGIN_FAILURES {
            let sql = Self::batch_delete(table, condition, "$2");
            let result = sqlx::query(&sql)
                .bind(before.0)
                .bind(batch)
                .execute(self.pool())
                .await?;
            purged += result.rows_affected();
        }
        Ok(purged)
    }
}

const LOG_MATCHES: &str = "(CAST($1 AS TEXT) IS NULL OR user_id = $1)
    AND (CAST($2 AS TEXT) IS NULL OR client_id = $2) AND (CAST($3 AS TEXT) IS NULL OR type = $3)";

/// The audit log's tables: token exchanges ([`EXCHANGE_EVENT_TYPES`]) first, every other event
/// in the second. Reading, counting and purging see one log.
const LOG_TABLES: [&str; 2] = ["exchange_log_events", "log_events"];

/// The table an event of `event_type` is stored in.
fn log_table(event_type: &str) -> &'static str {
    if EXCHANGE_EVENT_TYPES.contains(&event_type) {
        LOG_TABLES[0]
    } else {
        LOG_TABLES[1]
    }
}

/// An event's columns, named: the union of the two tables must not depend on their order.
const LOG_COLUMNS: &str =
    "log_id, date, type, description, client_id, client_name, ip, user_agent, user_id, user_name, details";

/// `columns` of the events of both tables that meet `condition`, as one table, `events`.
fn both_log_tables(columns: &str, condition: &str) -> String {
    let [exchanges, others] = LOG_TABLES;
    format!(
        "(SELECT {columns} FROM {exchanges} WHERE {condition}
          UNION ALL SELECT {columns} FROM {others} WHERE {condition}) AS events"
    )
}

#[async_trait]
impl AuditLogStore for Backend {
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for table in LOG_TABLES {
            let in_table: Vec<&LogEvent> = events
                .iter()
                .filter(|event| log_table(&event.event_type) == table)
                .collect();
            // Many rows per statement: one statement per event costs more than the rows.
            for chunk in in_table.chunks(Self::LOG_ROWS_PER_INSERT) {
                let details = chunk
                    .iter()
                    .map(|event| to_json(&event.details))
                    .collect::<StoreResult<Vec<String>>>()?;
                let mut insert =
                    sqlx::QueryBuilder::<Db>::new(format!("INSERT INTO {table} ({LOG_COLUMNS}) "));
                insert.push_values(chunk.iter().zip(&details), |mut row, (event, details)| {
                    row.push_bind(&event.log_id)
                        .push_bind(event.date.0)
                        .push_bind(&event.event_type)
                        .push_bind(&event.description)
                        .push_bind(event.client_id.as_deref())
                        .push_bind(event.client_name.as_deref())
                        .push_bind(event.ip.as_deref())
                        .push_bind(event.user_agent.as_deref())
                        .push_bind(event.user_id.as_deref())
                        .push_bind(event.user_name.as_deref())
                        .push_bind(details.as_str());
                });
                insert.build().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn log_event(&self, log_id: &str) -> StoreResult<Option<LogEvent>> {
        let events = both_log_tables(LOG_COLUMNS, "log_id = $1");
        let row = sqlx::query(&format!("SELECT * FROM {events}"))
            .bind(log_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(log_event_from_row).transpose()
    }

    async fn list_log_events(
        &self,
        filter: &LogFilter,
        page: Page,
    ) -> StoreResult<Listing<LogEvent>> {
        let order = if filter.newest_first {
            "date DESC, log_id DESC"
        } else {
            "date, log_id"
        };
        let events = both_log_tables(LOG_COLUMNS, LOG_MATCHES);
        let rows = sqlx::query(&format!(
            "SELECT * FROM {events} ORDER BY {order} LIMIT $4 OFFSET $5"
        ))
        .bind(filter.user_id.as_deref())
        .bind(filter.client_id.as_deref())
        .bind(filter.event_type.as_deref())
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let events = both_log_tables("log_id", LOG_MATCHES);
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {events}"))
            .bind(filter.user_id.as_deref())
            .bind(filter.client_id.as_deref())
            .bind(filter.event_type.as_deref())
            .fetch_one(self.pool())
            .await?;
        let items = rows
            .iter()
            .map(log_event_from_row)
            .collect::<StoreResult<_>>()?;
        Ok(Listing {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn purge_log_events(
        &self,
        before: Timestamp,
        types: EventTypes<'_>,
        batch: i64,
    ) -> StoreResult<u64> {
        let (condition, codes) = type_condition(types, 3);
        let mut purged = 0;
        for table in LOG_TABLES {
            let left = batch - i64::try_from(purged).unwrap_or(batch);
            if left <= 0 {
                break;
            }
            let sql = Self::batch_delete(table, &format!("date < $1 AND {condition}"), "$2");
            let mut purge = sqlx::query(&sql).bind(before.0).bind(left);
            for code in codes {
                purge = purge.bind(*code);
            }
            purged += purge.execute(self.pool()).await?.rows_affected();
        }
        Ok(purged)
    }

    async fn count_log_events(&self) -> StoreResult<u64> {
        let events = both_log_tables("log_id", "1 = 1");
        count(self.pool(), &format!("SELECT COUNT(*) FROM {events}")).await
    }

    async fn purge_oldest_log_events(&self, types: EventTypes<'_>, batch: i64) -> StoreResult<u64> {
        // The batch-th oldest event of both tables, by the date indexes: it and every older
        // one of `types` go, from either table.
        let (condition, codes) = type_condition(types, 2);
        let events = both_log_tables("date, log_id", &condition);
        let sql =
            format!("SELECT date, log_id FROM {events} ORDER BY date, log_id LIMIT 1 OFFSET $1");
        let mut newest_purged = sqlx::query_as::<_, (i64, String)>(&sql).bind(batch - 1);
        for code in codes {
            newest_purged = newest_purged.bind(*code);
        }
        let (through_date, through_id) = match newest_purged.fetch_optional(self.pool()).await? {
            Some(newest) => newest,
            // Fewer than a batch: all of them.
            None => (i64::MAX, String::new()),
        };
        let (condition, codes) = type_condition(types, 4);
        let mut purged = 0;
        for table in LOG_TABLES {
            let sql = Self::batch_delete(
                table,
                &format!("(date < $2 OR (date = $2 AND log_id <= $3)) AND {condition}"),
                "$1",
            );
            let mut purge = sqlx::query(&sql)
                .bind(batch)
                .bind(through_date)
                .bind(&through_id);
            for code in codes {
                purge = purge.bind(*code);
            }
            purged += purge.execute(self.pool()).await?.rows_affected();
        }
        Ok(purged)
    }
}

/// The SQL condition selecting `types`, its placeholders numbered from `first`, and the codes
/// to bind to them in order.
fn type_condition<'a>(types: EventTypes<'a>, first: usize) -> (String, &'a [&'a str]) {
    let (operator, codes) = match types {
        EventTypes::Only(codes) => ("IN", codes),
        EventTypes::AllBut([]) => return ("1 = 1".to_owned(), &[]),
        EventTypes::AllBut(codes) => ("NOT IN", codes),
    };
    if codes.is_empty() {
        return ("1 = 0".to_owned(), codes);
    }
    let placeholders = (first..first + codes.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    (format!("type {operator} ({placeholders})"), codes)
}
