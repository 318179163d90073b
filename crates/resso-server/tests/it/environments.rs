//! The real `resso` binary on unchanged deployment environments: a production Laravel `.env`
//! (public `REVERB_HOST=ws.example.com:443` behind a proxy) listens on `REVERB_SERVER_PORT` and
//! serves Pusher clients there; a Soketi environment listens on `SOKETI_PORT` with its default
//! app; `resso config check` shows where values came from and refuses the development app off
//! loopback with the way to add an app.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{free_port, Client, Proc};

/// Families of variables a test must not inherit from the machine running it.
const INHERITED: [&str; 6] = [
    "RESSO_", "REVERB_", "SOKETI_", "PUSHER_", "REDIS_", "LARAVEL_",
];

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory, removed on drop.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    pub(crate) fn new() -> Self {
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("resso-env-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `resso` with `args` and only the variables in `vars` from the families above.
pub(crate) fn resso(args: &[&str], vars: &[(&str, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_resso"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if INHERITED.iter().any(|family| name.starts_with(family)) {
            command.env_remove(name);
        }
    }
    command.envs(vars.iter().map(|(k, v)| (k, v)));
    command
}

/// Starts `command`; returns it and the address it printed it listens on.
pub(crate) async fn start(command: Command, log: PathBuf) -> (Proc, SocketAddr) {
    let mut proc = Proc::spawn("resso", command, &log, true);
    let addr = proc.printed_address().await;
    (proc, addr)
}

/// A Laravel production `.env` as `php artisan install:broadcasting` leaves it, behind a proxy.
fn laravel_env(server_port: u16) -> String {
    format!(
        "APP_NAME=Shop\nAPP_ENV=production\nBROADCAST_CONNECTION=reverb\nREDIS_PASSWORD=null\n\
         REVERB_APP_ID=493512\nREVERB_APP_KEY=k8s7hdy2lq0xnq1rxppq\n\
         REVERB_APP_SECRET=zq8w0c9v7b6n5m4l3k2j\nREVERB_HOST=\"ws.example.com\"\n\
         REVERB_PORT=443\nREVERB_SCHEME=https\nREVERB_SERVER_PORT={server_port}\n\
         VITE_REVERB_APP_KEY=\"${{REVERB_APP_KEY}}\"\nVITE_REVERB_HOST=\"${{REVERB_HOST}}\"\n\
         VITE_REVERB_PORT=\"${{REVERB_PORT}}\"\nVITE_REVERB_SCHEME=\"${{REVERB_SCHEME}}\"\n"
    )
}

#[tokio::test]
async fn a_production_laravel_env_serves_on_the_server_port() {
    let dir = Scratch::new();
    let port = free_port();
    let env_file = dir.0.join(".env");
    std::fs::write(&env_file, laravel_env(port)).unwrap();
    let command = resso(&["--env-file", env_file.to_str().unwrap()], &[]);
    let (proc, addr) = start(command, dir.0.join("resso.log")).await;
    assert_eq!(
        addr,
        SocketAddr::from(([0, 0, 0, 0], port)),
        "Reverb's host, the server port"
    );

    let url = format!("ws://127.0.0.1:{port}/app/k8s7hdy2lq0xnq1rxppq?protocol=7&client=js");
    let mut client = Client::connect(&url).await;
    client.subscribe_public("orders").await;
    let log = std::fs::read_to_string(dir.0.join("resso.log")).unwrap();
    assert!(
        !log.contains("WARN"),
        "a clean Laravel .env warns about nothing: {log}"
    );
    drop(proc);
}

#[tokio::test]
async fn a_soketi_environment_serves_its_default_app() {
    let dir = Scratch::new();
    let port = free_port();
    let vars = [
        ("SOKETI_DEFAULT_APP_ID", "app-1".to_owned()),
        ("SOKETI_DEFAULT_APP_KEY", "soketi-key".to_owned()),
        ("SOKETI_DEFAULT_APP_SECRET", "soketi-secret".to_owned()),
        ("SOKETI_PORT", port.to_string()),
        ("SOKETI_HOST", "127.0.0.1".to_owned()),
        ("SOKETI_QUEUE_DRIVER", "redis".to_owned()),
    ];
    let (proc, addr) = start(resso(&[], &vars), dir.0.join("resso.log")).await;
    assert_eq!(addr, SocketAddr::from(([127, 0, 0, 1], port)));
    let url = format!("ws://{addr}/app/soketi-key?protocol=7");
    Client::connect(&url).await;
    let log = std::fs::read_to_string(dir.0.join("resso.log")).unwrap();
    assert!(
        log.contains("set but not honoured: SOKETI_QUEUE_DRIVER ("),
        "{log}"
    );
    drop(proc);
}

fn run(command: &mut Command) -> (Output, String, String) {
    let output = command.output().expect("run resso config check");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

#[test]
fn config_check_names_origins_and_refuses_the_development_app_off_loopback() {
    let dir = Scratch::new();
    let env_file = dir.0.join(".env");
    std::fs::write(&env_file, laravel_env(9000)).unwrap();
    let args = [
        "config",
        "check",
        "--env-file",
        env_file.to_str().unwrap(),
        "--port",
        "9001",
    ];
    let vars = [("REVERB_APP_PING_INTERVAL", "60".to_owned())];
    let (output, stdout, _) = run(&mut resso(&args, &vars));
    assert!(output.status.success(), "{stdout}");
    for line in [
        "host = \"0.0.0.0\"  # Reverb's default",
        "port = 9001  # flag --port",
        "key = \"k8s7hdy2lq0xnq1rxppq\"  # env REVERB_APP_KEY",
        "secret = \"zq8w…\"  # env REVERB_APP_SECRET",
        "# warning: set but not honoured: REVERB_APP_PING_INTERVAL (",
    ] {
        assert!(stdout.contains(line), "{line:?} in\n{stdout}");
    }
    assert!(!stdout.contains("zq8w0c9v7b6n5m4l3k2j"), "{stdout}");

    let (output, _, stderr) = run(&mut resso(&["config", "check", "--host", "0.0.0.0"], &[]));
    assert!(!output.status.success());
    assert!(
        stderr.contains("[[apps]]") && stderr.contains("REVERB_APP_ID"),
        "{stderr}"
    );
}
