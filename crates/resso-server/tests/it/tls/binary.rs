//! The `resso` binary serving TLS from Ressò's environment variables: a bad certificate at
//! start-up stops it with the file named, and SIGHUP reloads the certificate without dropping
//! connections.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use super::client::Wss;
use super::pki::{Ca, Files};
use crate::support::{eventually, Proc};

#[test]
fn a_bad_certificate_at_start_up_stops_the_binary_naming_the_file() {
    let files = Files::new();
    files.install(&Ca::new().localhost(1));
    files.replace(&files.cert(), "-----BEGIN CERTIFICATE-----\nnot base64!\n");
    let output = resso(&files, &[]).output().expect("run resso");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "resso started with a broken certificate"
    );
    assert!(
        stderr.starts_with("resso: ") && stderr.contains(&files.cert()),
        "{stderr}"
    );

    std::fs::remove_file(files.key()).unwrap();
    files.replace(&files.cert(), &Ca::new().localhost(1).cert_pem);
    let output = resso(&files, &[]).output().expect("run resso");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&files.key()) && stderr.contains("cannot read"),
        "{stderr}"
    );
}

/// `resso` serving TLS from `files` by Ressò's environment variables, on a free port.
fn resso(files: &Files, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_resso"));
    for (name, _) in std::env::vars() {
        if ["RESSO_", "REVERB_", "SOKETI_"]
            .iter()
            .any(|f| name.starts_with(f))
        {
            command.env_remove(name);
        }
    }
    command
        .args(["--port", "0"])
        .args(args)
        .env("RESSO_TLS_CERT", files.cert())
        .env("RESSO_TLS_KEY", files.key());
    command
}

#[tokio::test]
async fn sighup_reloads_the_certificate_of_the_binary() {
    let ca = Ca::new();
    let files = Files::new();
    files.install(&ca.localhost(1));
    let mut proc = Proc::spawn(
        "resso",
        resso(&files, &[]),
        &files.dir.join("resso.log"),
        true,
    );
    let stdout = proc.child.stdout.take().expect("piped stdout");
    let line = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("https://"))
    });
    let line = tokio::time::timeout(Duration::from_secs(10), line)
        .await
        .expect("resso prints its address")
        .unwrap()
        .expect("an https:// line");
    let addr: SocketAddr = line
        .split("https://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let mut old = Wss::connect(addr, "localhost", &ca.pem()).await.unwrap();

    let second = ca.localhost(2);
    files.install(&second);
    let pid = proc.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    eventually("SIGHUP brings the new certificate", || {
        super::serves(addr, &ca, &second)
    })
    .await;
    old.ping().await;
    assert!(
        proc.child.try_wait().unwrap().is_none(),
        "SIGHUP does not stop resso"
    );
}
