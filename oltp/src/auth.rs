//! Who is asking: a password checked against the user's argon2 hash, browser sessions and API tokens. Each
//! session or token is a random secret handed out once; the books keep only its SHA-256, so a copy of the
//! database signs nobody in. A session ends when idle too long, at its absolute expiry, at sign-out, when
//! revoked, or when its user changes password or is disabled; a token when it expires (if it does), is revoked, or
//! its user is disabled. Every look-up answers with the [`Caller`]: the org, the user, their groups and stores —
//! never from what a request says about itself.
//!
//! Times are Unix seconds (UTC), passed in, so tests and the server decide what "now" is.

use std::sync::LazyLock;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::db::{Db, Row};
use crate::error::{Error, Result};
use crate::q;

/// How long a browser session lives.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Seconds without a request after which a session ends.
    pub idle: i64,
    /// Seconds after sign-in at which a session ends however busy.
    pub absolute: i64,
}

impl Default for Policy {
    /// Two idle hours, twelve in all: a shift at the counter, with lunch.
    fn default() -> Policy {
        Policy { idle: 2 * 3600, absolute: 12 * 3600 }
    }
}

/// Who a session or token belongs to, as the books say now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Caller {
    /// Their org.
    pub org_id: i64,
    /// The user.
    pub user_id: i64,
    /// Their username.
    pub username: String,
    /// Their name as shown.
    pub display_name: String,
    /// Permission groups (`owner`, `manager`, `accounting`, `sales`, `inventory`, `bench`).
    pub groups: Vec<String>,
    /// The stores they may see and work in; `None`: all of the org's.
    pub stores: Option<Vec<i64>>,
    /// Their org's time zone (IANA name): "today" for their commands and reports is the date there.
    pub time_zone: String,
}

impl Caller {
    /// Whether the caller belongs to one of `groups`.
    pub fn in_any(&self, groups: &[&str]) -> bool {
        self.groups.iter().any(|g| groups.contains(&g.as_str()))
    }
}

/// A secret handed out once: the session's cookie value or the API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The session's or token's id (for lists and revoking).
    pub id: i64,
    /// The secret itself; the books keep only its hash.
    pub secret: String,
    /// When it ends (Unix seconds), if it does.
    pub expires_at: Option<i64>,
}

/// A session as its user sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// Its id.
    pub id: i64,
    /// Where it signed in from (address, browser).
    pub client: String,
    /// Sign-in time.
    pub created_at: i64,
    /// The last request.
    pub last_seen_at: i64,
    /// Its absolute end.
    pub expires_at: i64,
}

/// A token as its user sees it: never the secret, only its first characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Its id.
    pub id: i64,
    /// What it is for (`front counter POS`).
    pub name: String,
    /// The secret's first characters, to tell tokens apart.
    pub prefix: String,
    /// Creation time.
    pub created_at: i64,
    /// Its end, if it has one.
    pub expires_at: Option<i64>,
    /// Its last use.
    pub last_used_at: Option<i64>,
}

/// What a failed sign-in says, whatever failed: no user, a wrong password, a user disabled or without one.
pub const WRONG: &str = "username or password is wrong";

/// Tokens begin with this, so a leaked one is recognisable (and a secret scanner can find it).
const TOKEN_PREFIX: &str = "loupe_";

/// A hash to check a password against when no user has the username, so a sign-in takes as long either way.
static DECOY: LazyLock<String> = LazyLock::new(|| {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(b"no such user, no such password")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Checks `username` and `password` and opens a session; `org_id` is needed only when the username is used in
/// several orgs. A wrong username, a wrong password and a disabled user all answer [`WRONG`].
pub async fn sign_in(
    db: &Db,
    org_id: Option<i64>,
    username: &str,
    password: &str,
    client: &str,
    now: i64,
    policy: Policy,
) -> Result<(Caller, Issued)> {
    let rows = db
        .fetch_all(q!(
            "select id, org_id, password_hash, active from users where username = $1 and ($2 = 0 or org_id = $2)",
            username.trim(),
            org_id.unwrap_or(0)
        ))
        .await?;
    if rows.len() > 1 {
        return Err(Error::invalid("org_id", "(none)", "this username is used in several orgs: give org_id"));
    }
    let Some(user) = rows.first() else {
        verify(password, &DECOY).await;
        return Err(Error::Unauthenticated(WRONG.into()));
    };
    let hash = user.opt_text("password_hash")?.unwrap_or_else(|| DECOY.clone());
    if !verify(password, &hash).await || !user.bool("active")? {
        return Err(Error::Unauthenticated(WRONG.into()));
    }
    let (user_id, org_id) = (user.i64("id")?, user.i64("org_id")?);
    let secret = secret("")?;
    let expires_at = now + policy.absolute;
    let client: String = client.chars().take(crate::bounds::SHORT_TEXT).collect();
    let id = db
        .fetch_one(q!(
            "insert into sessions (org_id, user_id, secret_hash, client, created_at, last_seen_at, expires_at)
             values ($1, $2, $3, $4, $5, $5, $6) returning id",
            org_id,
            user_id,
            hash_of(&secret),
            client,
            now,
            expires_at
        ))
        .await?
        .i64("id")?;
    let caller = caller(db, user_id).await?.ok_or_else(|| Error::Unauthenticated(WRONG.into()))?;
    Ok((caller, Issued { id, secret, expires_at: Some(expires_at) }))
}

/// Checks a password on a blocking thread: an argon2 hash takes tens of milliseconds of CPU, which would stall
/// every other request sharing the async worker.
async fn verify(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || crate::org::verify_password(&password, &hash)).await.unwrap_or(false)
}

/// Who the session with `secret` belongs to, if it is still open; a request through it counts as activity.
pub async fn session(db: &Db, secret: &str, now: i64, policy: Policy) -> Result<Option<Caller>> {
    let Some(s) = db
        .fetch_optional(q!(
            "select id, user_id, last_seen_at, expires_at from sessions where secret_hash = $1 and revoked_at is null",
            hash_of(secret)
        ))
        .await?
    else {
        return Ok(None);
    };
    let last_seen = s.i64("last_seen_at")?;
    if s.i64("expires_at")? <= now || last_seen + policy.idle <= now {
        return Ok(None);
    }
    let Some(caller) = caller(db, s.i64("user_id")?).await? else { return Ok(None) };
    // a busy session is written at most once a minute
    if now - last_seen >= 60 {
        db.fetch_optional(q!("update sessions set last_seen_at = $1 where id = $2 returning id", now, s.i64("id")?))
            .await?;
    }
    Ok(Some(caller))
}

/// Ends the session with `secret` (signing out); `false` when it was not open.
pub async fn sign_out(db: &Db, secret: &str, now: i64) -> Result<bool> {
    Ok(db
        .fetch_optional(q!(
            "update sessions set revoked_at = $1 where secret_hash = $2 and revoked_at is null returning id",
            now,
            hash_of(secret)
        ))
        .await?
        .is_some())
}

/// A user's open sessions, newest first.
pub async fn sessions(db: &Db, user_id: i64, now: i64, policy: Policy) -> Result<Vec<SessionInfo>> {
    let rows = db
        .fetch_all(q!(
            "select id, client, created_at, last_seen_at, expires_at from sessions
             where user_id = $1 and revoked_at is null and expires_at > $2 and last_seen_at > $3
             order by created_at desc, id desc",
            user_id,
            now,
            now - policy.idle
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SessionInfo {
                id: r.i64("id")?,
                client: r.text("client")?,
                created_at: r.i64("created_at")?,
                last_seen_at: r.i64("last_seen_at")?,
                expires_at: r.i64("expires_at")?,
            })
        })
        .collect()
}

/// Revokes one of the user's own sessions; another user's (or another org's) is not found.
pub async fn revoke_session(db: &Db, user_id: i64, session_id: i64, now: i64) -> Result<()> {
    db.fetch_optional(q!(
        "update sessions set revoked_at = $1 where id = $2 and user_id = $3 and revoked_at is null returning id",
        now,
        session_id,
        user_id
    ))
    .await?
    .ok_or_else(|| Error::not_found("session", session_id))?;
    Ok(())
}

/// Creates an API token for `user_id` of `org_id` (for a point-of-sale client or a script), ending at
/// `expires_at` if given. The secret is in the answer and nowhere else.
pub async fn create_token(
    db: &Db,
    org_id: i64,
    user_id: i64,
    name: &str,
    expires_at: Option<i64>,
    now: i64,
) -> Result<Issued> {
    let name = name.trim();
    crate::check::non_empty("name", name)?;
    if name.chars().count() > crate::bounds::SHORT_TEXT {
        let n = name.chars().count();
        return Err(Error::invalid(
            "name",
            format!("({n} characters)"),
            format!("at most {} characters", crate::bounds::SHORT_TEXT),
        ));
    }
    if let Some(end) = expires_at
        && end <= now
    {
        return Err(Error::invalid("expires_at", end, "must be in the future"));
    }
    let user = db
        .fetch_optional(q!("select active from users where id = $1 and org_id = $2", user_id, org_id))
        .await?
        .ok_or_else(|| Error::invalid("user_id", user_id, "no such user in this org"))?;
    if !user.bool("active")? {
        return Err(Error::invalid("user_id", user_id, "user is disabled"));
    }
    let secret = secret(TOKEN_PREFIX)?;
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let id = db
        .fetch_one(q!(
            "insert into api_tokens (org_id, user_id, name, secret_hash, prefix, created_at, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
            org_id,
            user_id,
            name,
            hash_of(&secret),
            prefix,
            now,
            expires_at
        ))
        .await?
        .i64("id")?;
    Ok(Issued { id, secret, expires_at })
}

/// Who the API token `secret` belongs to, if it is valid now.
pub async fn token(db: &Db, secret: &str, now: i64) -> Result<Option<Caller>> {
    let Some(t) = db
        .fetch_optional(q!(
            "select id, user_id, expires_at, last_used_at from api_tokens where secret_hash = $1 and revoked_at is null",
            hash_of(secret)
        ))
        .await?
    else {
        return Ok(None);
    };
    if t.opt_i64("expires_at")?.is_some_and(|end| end <= now) {
        return Ok(None);
    }
    let Some(caller) = caller(db, t.i64("user_id")?).await? else { return Ok(None) };
    if t.opt_i64("last_used_at")?.is_none_or(|last| now - last >= 60) {
        db.fetch_optional(q!("update api_tokens set last_used_at = $1 where id = $2 returning id", now, t.i64("id")?))
            .await?;
    }
    Ok(Some(caller))
}

/// A user's tokens that still work, newest first.
pub async fn tokens(db: &Db, user_id: i64, now: i64) -> Result<Vec<TokenInfo>> {
    let rows = db
        .fetch_all(q!(
            "select id, name, prefix, created_at, expires_at, last_used_at from api_tokens
             where user_id = $1 and revoked_at is null and (expires_at is null or expires_at > $2)
             order by created_at desc, id desc",
            user_id,
            now
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.i64("id")?,
                name: r.text("name")?,
                prefix: r.text("prefix")?,
                created_at: r.i64("created_at")?,
                expires_at: r.opt_i64("expires_at")?,
                last_used_at: r.opt_i64("last_used_at")?,
            })
        })
        .collect()
}

/// Revokes one of the user's tokens; another user's (or another org's) is not found.
pub async fn revoke_token(db: &Db, user_id: i64, token_id: i64, now: i64) -> Result<()> {
    db.fetch_optional(q!(
        "update api_tokens set revoked_at = $1 where id = $2 and user_id = $3 and revoked_at is null returning id",
        now,
        token_id,
        user_id
    ))
    .await?
    .ok_or_else(|| Error::not_found("token", token_id))?;
    Ok(())
}

/// The caller a user is now (their org, groups, stores and time zone): `None` when the user is disabled or gone.
pub async fn caller(db: &Db, user_id: i64) -> Result<Option<Caller>> {
    let Some(u) = db
        .fetch_optional(q!(
            "select u.org_id, u.username, u.display_name, u.groups, u.active, o.time_zone
             from users u join orgs o on o.id = u.org_id where u.id = $1",
            user_id
        ))
        .await?
    else {
        return Ok(None);
    };
    if !u.bool("active")? {
        return Ok(None);
    }
    let stores: Vec<i64> = db
        .fetch_all(q!("select store_id from user_stores where user_id = $1 order by store_id", user_id))
        .await?
        .iter()
        .map(|r: &Row| r.i64("store_id"))
        .collect::<Result<_>>()?;
    Ok(Some(Caller {
        org_id: u.i64("org_id")?,
        user_id,
        username: u.text("username")?,
        display_name: u.text("display_name")?,
        groups: u.text("groups")?.split(',').filter(|g| !g.is_empty()).map(str::to_string).collect(),
        stores: (!stores.is_empty()).then_some(stores),
        time_zone: u.text("time_zone")?,
    }))
}

/// A fresh secret: 32 random bytes from the operating system, as hex, after `prefix`.
fn secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Database(format!("no randomness from the system: {e}")))?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

/// What the books keep of a secret.
fn hash_of(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
