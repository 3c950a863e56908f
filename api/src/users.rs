//! `loupe user …` and `loupe token …`: the first owner and their password from the command line (before any
//! browser can sign in), and API tokens for point-of-sale clients and scripts — shown once, kept as a hash.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use oltp::{Command, Ctx, Db};

/// `loupe user …`
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user who can sign in (the password from --password or, safer, the first line of stdin).
    Add {
        /// Their username.
        username: String,
        /// Their name as shown (default: the username).
        #[arg(long)]
        name: Option<String>,
        /// A permission group: owner, manager, accounting, sales, inventory, bench (repeat for several).
        #[arg(long = "group", required = true)]
        groups: Vec<String>,
        /// A store they may work in (repeat; none: every store).
        #[arg(long = "store")]
        stores: Vec<i64>,
        /// They sell (they can be an invoice's salesperson).
        #[arg(long)]
        salesperson: bool,
        /// The password (visible in the shell's history: prefer stdin).
        #[arg(long)]
        password: Option<String>,
        /// Where their mail goes (reports sent to them on a schedule).
        #[arg(long)]
        email: Option<String>,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// Set a user's password (from --password or the first line of stdin); their sessions end.
    Password {
        /// Their username.
        username: String,
        /// The new password.
        #[arg(long)]
        password: Option<String>,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// Set where a user's mail goes (an empty address removes it).
    Email {
        /// Their username.
        username: String,
        /// The address.
        email: String,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
}

/// `loupe token …`
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create an API token for a user; the token is printed once and kept only as a hash.
    Create {
        /// Whose token (username); it acts with their groups and stores.
        #[arg(long)]
        user: String,
        /// What it is for.
        #[arg(long, default_value = "API token")]
        name: String,
        /// It stops working after this many days (default: never, until revoked).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_days: Option<u32>,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// A user's tokens that still work (never the secret, only its first characters).
    List {
        /// Whose tokens (username).
        #[arg(long)]
        user: String,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// Revoke one of a user's tokens.
    Revoke {
        /// The token's id (`loupe token list`).
        id: i64,
        /// Whose token (username).
        #[arg(long)]
        user: String,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
}

/// Runs `loupe user …`.
pub(crate) async fn user(db: &Db, cmd: &UserCmd) -> Result<ExitCode> {
    match cmd {
        UserCmd::Add { username, name, groups, stores, salesperson, password, email, org } => {
            let org_id = org_in_books(db, *org).await?;
            let password = password_from(password.as_deref())?;
            let create = serde_json::json!({
                "op": "create_user",
                "org_id": org_id,
                "username": username,
                "display_name": name.as_deref().unwrap_or(username),
                "password": password,
                "groups": groups,
                "store_ids": stores,
                "salesperson": salesperson,
                "email": email,
            });
            let id = execute(db, &create).await?;
            println!("user {id} {username:?} added to org {org_id} ({})", groups.join(", "));
        }
        UserCmd::Password { username, password, org } => {
            let org_id = org_in_books(db, *org).await?;
            let user_id = oltp::org::user_by_name(db, org_id, username).await?;
            let password = password_from(password.as_deref())?;
            let update =
                serde_json::json!({"op": "update_user", "org_id": org_id, "user_id": user_id, "password": password});
            execute(db, &update).await?;
            println!("password of {username:?} set; their sessions have ended");
        }
        UserCmd::Email { username, email, org } => {
            let org_id = org_in_books(db, *org).await?;
            let user_id = oltp::org::user_by_name(db, org_id, username).await?;
            let update = serde_json::json!({"op": "update_user", "org_id": org_id, "user_id": user_id, "email": email});
            execute(db, &update).await?;
            match email.trim() {
                "" => println!("{username:?} has no email address now"),
                e => println!("mail for {username:?} goes to {e}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `loupe token …`.
pub(crate) async fn token(db: &Db, cmd: &TokenCmd) -> Result<ExitCode> {
    let now = chrono::Utc::now().timestamp();
    match cmd {
        TokenCmd::Create { user, name, expires_days, org } => {
            let org_id = org_in_books(db, *org).await?;
            let user_id = oltp::org::user_by_name(db, org_id, user).await?;
            let expires = expires_days.map(|d| now + i64::from(d) * 24 * 3600);
            let t = oltp::auth::create_token(db, org_id, user_id, name, expires, now).await?;
            let until = t.expires_at.map_or_else(|| "until revoked".to_string(), |e| format!("until {}", when(e)));
            eprintln!("token {} for {user:?} ({name}), {until}; shown once — keep it now:", t.id);
            println!("{}", t.secret);
        }
        TokenCmd::List { user, org } => {
            let org_id = org_in_books(db, *org).await?;
            let user_id = oltp::org::user_by_name(db, org_id, user).await?;
            for t in oltp::auth::tokens(db, user_id, now).await? {
                let used =
                    t.last_used_at.map_or_else(|| "never used".to_string(), |u| format!("last used {}", when(u)));
                let until = t.expires_at.map_or_else(|| "until revoked".to_string(), |e| format!("until {}", when(e)));
                println!("{:>5}  {}…  {}  created {}, {until}, {used}", t.id, t.prefix, t.name, when(t.created_at));
            }
        }
        TokenCmd::Revoke { id, user, org } => {
            let org_id = org_in_books(db, *org).await?;
            let user_id = oltp::org::user_by_name(db, org_id, user).await?;
            oltp::auth::revoke_token(db, user_id, *id, now).await?;
            println!("token {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A Unix time as people read it.
fn when(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// The password given, or the first line of stdin (without its line end).
fn password_from(given: Option<&str>) -> Result<String> {
    if let Some(p) = given {
        return Ok(p.to_string());
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
    let p = line.trim_end_matches(['\n', '\r']).to_string();
    if p.is_empty() {
        bail!("no password: give --password or write it on stdin");
    }
    Ok(p)
}

/// The org asked, or the books' only org.
pub(crate) async fn org_in_books(db: &Db, asked: Option<i64>) -> Result<i64> {
    let orgs: Vec<i64> = db
        .fetch_all(oltp::q!("select id from orgs order by id"))
        .await?
        .iter()
        .map(|r| r.i64("id"))
        .collect::<Result<_, _>>()?;
    match asked {
        Some(id) if orgs.contains(&id) => Ok(id),
        Some(id) => bail!("--org {id}: no such org in the books"),
        None => match orgs.as_slice() {
            [] => bail!("the books have no org yet: create one first (`loupe ops apply`, op create_org)"),
            [one] => Ok(*one),
            _ => bail!("the books have {} orgs: choose one with --org", orgs.len()),
        },
    }
}

/// Runs one command as the operator; its id.
async fn execute(db: &Db, json: &serde_json::Value) -> Result<i64> {
    let cmd: Command = oltp::ops::parse(&json.to_string())?;
    Ok(oltp::execute(db, &Ctx::operator(), &cmd).await?.id)
}
