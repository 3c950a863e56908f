//! A server for tests — the real router on a loopback TCP port, the lake's loop beside it — over books opened
//! from a journal, and a plain HTTP/1.1 client on `std::net` (one connection per request), so tests speak HTTP
//! exactly as a client on the wire does.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use api::serve::App;
use oltp::{Ctx, Db};

/// A running server and the books under it.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) db: Db,
    pub(crate) lake: etl::Lake,
    rt: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    /// Where the server mails subscriptions (`smtp://…` or `file:///dir`), if anywhere.
    mail: Option<String>,
}

/// Books for one test: a fresh SQLite file, or a fresh database on the PostgreSQL server at `TEST_PG_URL`.
pub(crate) enum Books {
    Sqlite,
    Postgres,
}

impl Books {
    /// The books every story runs on: SQLite always, PostgreSQL when `TEST_PG_URL` is set.
    pub(crate) fn all() -> Vec<Books> {
        let mut v = vec![Books::Sqlite];
        if std::env::var("TEST_PG_URL").is_ok() {
            v.push(Books::Postgres);
        }
        v
    }
}

pub(crate) async fn open(books: &Books, dir: &std::path::Path) -> Db {
    match books {
        Books::Sqlite => Db::connect(dir.join("loupe.db").to_str().unwrap()).await.unwrap(),
        Books::Postgres => {
            let base = std::env::var("TEST_PG_URL").unwrap();
            let name = format!(
                "loupe_api_{}_{}",
                std::process::id(),
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            );
            let admin = Db::connect(&base).await.unwrap();
            admin.execute_trusted(&format!("create database {name}")).await.unwrap();
            admin.close().await;
            let (head, _) = base.rsplit_once('/').unwrap();
            Db::connect(&format!("{head}/{name}")).await.unwrap()
        }
    }
}

/// Applies a journal (one command per line, `#` comments) as the operator; every line must stand.
pub(crate) async fn apply(db: &Db, journal: &str) {
    let ctx = Ctx { actor: None, today: chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap() };
    for (i, line) in journal.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cmd = oltp::ops::parse(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        oltp::execute(db, &ctx, &cmd).await.unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
    }
}

impl Server {
    /// A server over books made from `journal` and landed in a fresh lake.
    pub(crate) fn start(books: &Books, journal: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
        let lake = etl::Lake::at(dir.path().join("lake"));
        let db = rt.block_on(async {
            let db = open(books, dir.path()).await;
            db.migrate().await.unwrap();
            apply(&db, journal).await;
            etl::sync(&db, &lake, &std::sync::atomic::AtomicBool::new(false), &mut |_| {}).await.unwrap();
            db
        });
        let mut s = Server {
            addr: "127.0.0.1:1".parse().unwrap(),
            db,
            lake,
            rt,
            stop: None,
            done: None,
            _dir: Some(dir),
            mail: None,
        };
        s.listen();
        s
    }

    /// [`Server::start`] with mail going to `mail` (`smtp://…` or `file:///dir`): the scheduler runs, and
    /// "send now" sends.
    pub(crate) fn start_mailing(books: &Books, journal: &str, mail: &str) -> Server {
        let mut s = Server::start(books, journal);
        s.mail = Some(mail.to_string());
        s.restart();
        s
    }

    fn listen(&mut self) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        self.addr = listener.local_addr().unwrap();
        let mut app = App::new(self.db.clone(), self.lake.clone(), false);
        if let Some(url) = &self.mail {
            let settings = api::mail::Settings { url: url.clone(), from: "Loupe <loupe@carat.example>".into() };
            app = app.with_mail(api::mail::Outbox::new(&settings).unwrap(), vec![Duration::from_millis(50); 2]);
        }
        let app = Arc::new(app);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stop = async move {
            let _ = rx.await;
        };
        let _guard = self.rt.enter();
        self.done = Some(self.rt.spawn(api::serve::serve(listener, app, Duration::from_millis(200), stop)));
        self.stop = Some(tx);
    }

    /// Stops the server (as SIGTERM does) and starts a new one over the same books and lake.
    pub(crate) fn restart(&mut self) {
        self.shut_down();
        self.listen();
    }

    fn shut_down(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(done) = self.done.take() {
            self.rt.block_on(done).unwrap().unwrap();
        }
    }

    /// Runs a future on the server's runtime (a look at the books).
    pub(crate) fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// One integer from a query over the books.
    pub(crate) fn scalar(&self, sql: &str) -> i64 {
        self.block_on(async { self.db.fetch_one(oltp::db::Q::built(sql.to_string())).await.unwrap().i64("v").unwrap() })
    }

    /// One text value from a query over the books.
    pub(crate) fn text(&self, sql: &str) -> String {
        self.block_on(async {
            self.db.fetch_one(oltp::db::Q::built(sql.to_string())).await.unwrap().text("v").unwrap()
        })
    }

    /// Runs a statement on the books behind the server's back (to age a session, say).
    pub(crate) fn exec(&self, sql: &str) {
        self.block_on(async { self.db.execute_trusted(sql).await.unwrap() });
    }

    /// The number of changes the books have recorded: a request that changed nothing leaves it as it was.
    pub(crate) fn changes(&self) -> i64 {
        self.scalar("select cast(count(*) as bigint) as v from change_log")
    }

    /// A request to send.
    pub(crate) fn req(&self, method: &str, path: &str) -> Req {
        Req { addr: self.addr, method: method.to_string(), path: path.to_string(), headers: Vec::new(), body: None }
    }

    /// Signs `username` in with `password`; the session cookie.
    pub(crate) fn sign_in(&self, username: &str, password: &str) -> String {
        let r = self
            .req("POST", "/api/v1/session")
            .json(&serde_json::json!({"username": username, "password": password}))
            .send();
        assert_eq!(r.status, 200, "{}", r.text());
        let set = r.header("set-cookie").unwrap();
        set.split(';').next().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// A request being built.
#[derive(Clone)]
pub(crate) struct Req {
    addr: SocketAddr,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Req {
    pub(crate) fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// As the holder of a session cookie (`loupe_session=…`).
    pub(crate) fn cookie(self, cookie: &str) -> Req {
        self.header("cookie", cookie)
    }

    /// As the holder of an API token.
    pub(crate) fn bearer(self, token: &str) -> Req {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub(crate) fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Req {
        self.body = Some(body.into());
        self.header("content-type", content_type)
    }

    pub(crate) fn json(self, v: &serde_json::Value) -> Req {
        self.body("application/json", v.to_string())
    }

    /// Sends it and reads the whole answer.
    pub(crate) fn send(&self) -> Reply {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let mut head =
            format!("{} {} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n", self.method, self.path, self.addr);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = self.body.clone().unwrap_or_default();
        if self.body.is_some() || self.method == "POST" {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        // a server may answer (413) before reading a large body: a failed write is then not the test's failure
        let _ = s.write_all(&body);
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        Reply::parse(&raw)
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    fn parse(raw: &[u8]) -> Reply {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| {
            panic!("no HTTP head in {:?}", String::from_utf8_lossy(raw));
        });
        let head = String::from_utf8_lossy(&raw[..end]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[end + 4..].to_vec();
        if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
            body = dechunk(&body);
        }
        Reply { status, headers, body }
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts a problem answer: the status, the problem media type, and the detail containing `words`.
    pub(crate) fn problem(&self, status: u16, words: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{}", self.text());
        let p = self.json();
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(words), "detail {detail:?} lacks {words:?}");
        p
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}
