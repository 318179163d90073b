//! [`Database`]: a PostgreSQL or MariaDB server of its own — a throwaway data directory, a loopback
//! port below the ephemeral range, ready when its own log says so — which a test can stop and start
//! again on the same port; optionally serving TLS with a certificate the test made
//! ([`Database::start_with_tls`]). As root (CI), PostgreSQL runs as the `postgres` user (through `setpriv`), since it refuses
//! to run as root; MariaDB runs with `--user=root` and without grant tables.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::{sleep, Instant};

use crate::process::{free_port, Proc};

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    MariaDb,
}

/// A database server on a loopback port, with one database `resso` in it.
pub struct Database {
    pub engine: Engine,
    pub port: u16,
    dir: PathBuf,
    starts: usize,
    proc: Option<Proc>,
    /// Whether it serves TLS (with `server.crt` and `server.key` of its directory).
    tls: bool,
}

static SCRATCH: AtomicUsize = AtomicUsize::new(0);

impl Database {
    /// Creates the data directory, starts the server and creates the database `resso`.
    pub async fn start(engine: Engine) -> Self {
        Self::started(engine, None).await
    }

    /// [`Database::start`], the server offering TLS with `cert_pem` and `key_pem` (clients may
    /// still connect without it).
    pub async fn start_with_tls(engine: Engine, cert_pem: &str, key_pem: &str) -> Self {
        Self::started(engine, Some((cert_pem, key_pem))).await
    }

    async fn started(engine: Engine, tls: Option<(&str, &str)>) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "resso-db-{}-{}",
            std::process::id(),
            SCRATCH.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join("data")).expect("create the data directory");
        let mut db = Self {
            engine,
            port: free_port(),
            dir,
            starts: 0,
            proc: None,
            tls: tls.is_some(),
        };
        if let Some((cert, key)) = tls {
            write_private(&db.dir.join("server.crt"), cert);
            write_private(&db.dir.join("server.key"), key);
        }
        db.init();
        db.restart().await;
        let admin = match engine {
            Engine::Postgres => format!("postgres://postgres@127.0.0.1:{}/postgres", db.port),
            Engine::MariaDb => format!("mysql://root@127.0.0.1:{}/mysql", db.port),
        };
        crate::sql::execute(&admin, "CREATE DATABASE resso").await;
        if engine == Engine::Postgres {
            db.execute("CREATE EXTENSION pg_stat_statements").await;
        }
        db
    }

    /// Where Ressò (and the test) connect.
    pub fn url(&self) -> String {
        match self.engine {
            Engine::Postgres => format!("postgres://postgres@127.0.0.1:{}/resso", self.port),
            Engine::MariaDb => format!("mysql://root@127.0.0.1:{}/resso", self.port),
        }
    }

    /// Runs `sql` (statements separated by `;` at line ends) on the database `resso`.
    pub async fn execute(&self, sql: &str) {
        crate::sql::execute(&self.url(), sql).await;
    }

    /// How many queries of the apps table the server has run so far (`pg_stat_statements`, or
    /// MariaDB's `Com_select` counter, which counts every SELECT).
    pub async fn select_count(&self) -> i64 {
        crate::sql::select_count(self.engine, &self.url()).await
    }

    fn init(&self) {
        let data = self.dir.join("data");
        let mut command = match self.engine {
            Engine::Postgres => {
                as_postgres(&self.dir);
                let mut c = self.postgres_command("initdb");
                c.arg("-D")
                    .arg(&data)
                    .args(["-U", "postgres", "-A", "trust", "--no-sync"]);
                c
            }
            Engine::MariaDb => {
                let mut c = Command::new("mariadb-install-db");
                c.arg("--no-defaults")
                    .arg(format!("--datadir={}", data.display()));
                c.args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
                if is_root() {
                    c.arg("--user=root");
                }
                c
            }
        };
        let log = std::fs::File::create(self.dir.join("init.log")).expect("init log");
        let status = command
            .stdout(log.try_clone().expect("clone"))
            .stderr(log)
            .status()
            .expect("run the database's init");
        assert!(status.success(), "init failed: see {}", self.dir.display());
    }

    /// Starts the server (again) on its port; on the first start a server that exits at once (its
    /// port taken meanwhile) is started again on another port.
    pub async fn restart(&mut self) {
        assert!(self.proc.is_none(), "the database is already running");
        for attempt in 1.. {
            if self.try_start().await {
                return;
            }
            drop(self.proc.take());
            assert!(
                self.starts == attempt && attempt < 5,
                "database exited on start; see {}",
                self.dir.display()
            );
            self.port = free_port();
        }
    }

    /// Stops the server at once, an outage rather than a shutdown: MariaDB is killed with
    /// SIGKILL, PostgreSQL with SIGQUIT (its immediate shutdown, which ends every backend too).
    pub fn stop(&mut self) {
        let mut proc = self.proc.take().expect("the database is running");
        if self.engine == Engine::Postgres {
            proc.signal("QUIT");
            let _ = proc.child.wait();
        }
        proc.kill();
    }

    async fn try_start(&mut self) -> bool {
        let (name, command, ready) = self.server_command();
        self.starts += 1;
        let log = self.dir.join(format!("{name}-{}.log", self.starts));
        let proc = self.proc.insert(Proc::spawn(name, command, &log, false));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if !proc.alive() {
                return false;
            }
            if std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains(ready)
            {
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "{name} not ready on {}",
                self.port
            );
            sleep(Duration::from_millis(20)).await;
        }
    }

    fn server_command(&self) -> (&'static str, Command, &'static str) {
        let data = self.dir.join("data");
        let port = self.port.to_string();
        match self.engine {
            Engine::Postgres => {
                let mut c = self.postgres_command("postgres");
                c.arg("-D")
                    .arg(&data)
                    .args(["-p", &port, "-h", "127.0.0.1", "-k"])
                    .arg(&self.dir);
                c.args([
                    "-c",
                    "shared_preload_libraries=pg_stat_statements",
                    "-c",
                    "fsync=off",
                ]);
                if self.tls {
                    c.args(["-c", "ssl=on", "-c"])
                        .arg(self.file_option("ssl_cert_file", "crt"));
                    c.arg("-c").arg(self.file_option("ssl_key_file", "key"));
                }
                (
                    "postgres",
                    c,
                    "database system is ready to accept connections",
                )
            }
            Engine::MariaDb => {
                let mut c = Command::new(mariadbd());
                c.arg("--no-defaults")
                    .arg(format!("--datadir={}", data.display()));
                c.arg(format!("--port={port}"))
                    .arg("--bind-address=127.0.0.1");
                c.arg(format!(
                    "--socket={}",
                    self.dir.join("mysqld.sock").display()
                ));
                c.arg(format!(
                    "--pid-file={}",
                    self.dir.join("mysqld.pid").display()
                ));
                if self.tls {
                    c.arg(format!("--{}", self.file_option("ssl-cert", "crt")));
                    c.arg(format!("--{}", self.file_option("ssl-key", "key")));
                }
                c.args([
                    "--skip-grant-tables",
                    "--skip-log-bin",
                    "--innodb-buffer-pool-size=16M",
                ]);
                if is_root() {
                    c.arg("--user=root");
                }
                ("mariadbd", c, "ready for connections")
            }
        }
    }

    /// One of PostgreSQL's programs, run as `postgres` when we are root.
    fn postgres_command(&self, program: &str) -> Command {
        let path = postgres_bin().join(program);
        if is_root() {
            // setpriv execs (runuser would fork): the process killed is PostgreSQL's own.
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(path);
            c
        } else {
            Command::new(path)
        }
    }
}

impl Database {
    /// `{name}={dir}/server.{ext}`.
    fn file_option(&self, name: &str, ext: &str) -> String {
        format!(
            "{name}={}",
            self.dir.join(format!("server.{ext}")).display()
        )
    }
}

/// Writes `text` to `path`, readable by its owner only (as PostgreSQL requires of a key).
fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write a TLS file");
    let private = std::fs::Permissions::from_mode(0o600);
    std::fs::set_permissions(path, private).expect("chmod a TLS file");
}

impl Drop for Database {
    fn drop(&mut self) {
        drop(self.proc.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Gives the `postgres` user the directory (only as root).
fn as_postgres(dir: &Path) {
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(dir)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "chown {}", dir.display());
    }
}

/// Debian's PostgreSQL programs: the newest `/usr/lib/postgresql/N/bin`.
fn postgres_bin() -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL is installed");
    let mut bins: Vec<PathBuf> = versions
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .collect();
    bins.sort();
    bins.pop().expect("a PostgreSQL version")
}

fn mariadbd() -> &'static str {
    if Path::new("/usr/sbin/mariadbd").exists() {
        "/usr/sbin/mariadbd"
    } else {
        "mysqld"
    }
}
