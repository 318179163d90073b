//! `resso --laravel-echo-server laravel-echo-server.json` as a drop-in: the real binary, a config
//! as laravel-echo-server's `init` writes it, a `.env` beside it overriding the Redis port, and a
//! real `redis-server`. What Laravel publishes reaches a Pusher client of the one app, the
//! echo-server API answers its client, unhonoured options are warned about, https is refused.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::support::{Broker, Client, Proc};

/// Starts the binary on `config`; returns it and its address once it printed it.
async fn start(dir: &Path, config: &Path) -> (Proc, SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_resso"));
    command
        .arg("--laravel-echo-server")
        .arg(config)
        .args(["--port", "0"]);
    for (name, _) in std::env::vars() {
        if name.starts_with("LARAVEL_ECHO_SERVER_")
            || name.starts_with("RESSO_")
            || name.starts_with("REVERB_")
        {
            command.env_remove(name);
        }
    }
    let mut proc = Proc::spawn("resso", command, &dir.join("resso.log"), true);
    let addr = proc.printed_address().await;
    (proc, addr)
}

#[tokio::test]
async fn an_unchanged_echo_server_config_serves_laravel() {
    let redis = Broker::redis().await;
    let dir = redis.dir().join("echo");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("laravel-echo-server.json");
    // As `init` writes it (tabs, its key order), with a Redis key prefix and one unsupported option.
    let text = "{\n\t\"authHost\": \"http://localhost\",\n\t\"authEndpoint\": \"/broadcasting/auth\",\n\
         \t\"clients\": [\n\t\t{\n\t\t\t\"appId\": \"a1b2\",\n\t\t\t\"key\": \"k3y\"\n\t\t}\n\t],\n\
         \t\"database\": \"redis\",\n\t\"databaseConfig\": {\n\t\t\"redis\": {\n\
         \t\t\t\"port\": \"1\",\n\t\t\t\"keyPrefix\": \"laravel_database_\"\n\t\t},\n\
         \t\t\"sqlite\": {\n\t\t\t\"databasePath\": \"/database/laravel-echo-server.sqlite\"\n\t\t}\n\t},\n\
         \t\"devMode\": false,\n\t\"host\": \"127.0.0.1\",\n\t\"port\": \"6001\",\n\t\"protocol\": \"http\",\n\
         \t\"socketio\": {},\n\t\"secureOptions\": 67108864,\n\t\"sslCertPath\": \"\",\n\
         \t\"sslKeyPath\": \"\",\n\t\"sslCertChainPath\": \"\",\n\t\"sslPassphrase\": \"\",\n\
         \t\"subscribers\": {\n\t\t\"http\": true,\n\t\t\"redis\": true\n\t},\n\
         \t\"apiOriginAllow\": {\n\t\t\"allowCors\": false,\n\t\t\"allowOrigin\": \"\",\n\
         \t\t\"allowMethods\": \"\",\n\t\t\"allowHeaders\": \"\"\n\t},\n\t\"headers\": []\n}\n";
    std::fs::write(&config, text).unwrap();
    // The `.env` beside it points the subscriber at the real Redis.
    std::fs::write(
        dir.join(".env"),
        format!("LARAVEL_ECHO_SERVER_REDIS_PORT={}\n", redis.port),
    )
    .unwrap();
    let (proc, addr) = start(&dir, &config).await;

    let url = format!("ws://{addr}/app/laravel-echo-server?protocol=7&client=js&version=8.4.0");
    let mut client = Client::connect(&url).await;
    client.subscribe_public("orders").await;
    redis.await_subscribers("laravel_database_probe", 1).await;
    let payload =
        json!({"event": "App\\Events\\Shipped", "data": {"id": 1, "socket": null}, "socket": null});
    redis
        .publish("laravel_database_orders", payload.to_string())
        .await
        .unwrap();
    let want = json!({"event": "App\\Events\\Shipped", "channel": "orders",
                      "data": "{\"id\":1,\"socket\":null}"});
    assert_eq!(client.recv_json().await, want);

    let status = format!("http://{addr}/apps/a1b2/status?auth_key=k3y");
    let body: serde_json::Value = reqwest::get(status).await.unwrap().json().await.unwrap();
    assert_eq!(body["subscription_count"], 1, "{body}");
    let log = std::fs::read_to_string(dir.join("resso.log")).unwrap();
    assert!(log.contains("headers is not supported"), "{log}");
    drop(proc);
}

#[tokio::test]
async fn https_is_refused_with_a_clear_message() {
    let redis = Broker::redis().await; // only for its scratch directory
    let config = redis.dir().join("laravel-echo-server.json");
    let text = r#"{"protocol": "https", "sslCertPath": "cert.pem", "sslKeyPath": "key.pem"}"#;
    std::fs::write(&config, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_resso"))
        .arg("--laravel-echo-server")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("protocol") && stderr.contains("TLS proxy"),
        "{stderr}"
    );
}
