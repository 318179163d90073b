//! `resso --laravel-echo-server laravel-echo-server.json`: an unchanged laravel-echo-server 1.6
//! config, mapped onto Ressò's [`Config`]. One app serves it (laravel-echo-server had no apps): its
//! Redis subscriber becomes `[apps.ingest]`, its `clients`, `subscribers.http` and `apiOriginAllow`
//! become `[apps.echo_api]`, and its `authHost`, `authEndpoint` and `socketio` settings become
//! `[apps.socketio]`. The `LARAVEL_ECHO_SERVER_*` variables its README
//! lists override the file as they did there (`${OTHER}` values included). What Ressò cannot honour
//! is named in [`EchoServer::warnings`]; `protocol: https` is refused until Ressò terminates TLS.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{invalid, AppConfig, Config, ConfigError, EchoApiConfig, EchoClient, EchoCors, Env};
use super::{IngestConfig, ServerConfig, SocketIoConfig};

/// The id and key of the app an echo-server config becomes.
pub const ECHO_APP: &str = "laravel-echo-server";

/// The ioredis options that make the Redis URL; any other is named in a warning.
const REDIS_KEYS: [&str; 7] = [
    "host",
    "port",
    "password",
    "username",
    "db",
    "keyPrefix",
    "tls",
];
/// The socket.io options Ressò's endpoint takes; any other is named in a warning.
const SOCKETIO_KEYS: [&str; 4] = ["path", "pingInterval", "pingTimeout", "maxHttpBufferSize"];

/// A mapped laravel-echo-server config.
#[derive(Debug, Clone)]
pub struct EchoServer {
    pub config: Config,
    /// `devMode`: laravel-echo-server's verbose logging.
    pub dev_mode: bool,
    /// Options that were given but are not honoured, each with why.
    pub warnings: Vec<String>,
}

/// The file's known options; everything else lands in `rest` and is warned about.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    auth_host: Option<AuthHost>,
    auth_endpoint: Option<String>,
    #[serde(default)]
    clients: Vec<FileClient>,
    database: Option<String>,
    #[serde(default)]
    database_config: DatabaseConfig,
    dev_mode: Option<Value>,
    host: Option<String>,
    port: Option<Value>,
    protocol: Option<String>,
    ssl_cert_path: Option<String>,
    ssl_key_path: Option<String>,
    ssl_cert_chain_path: Option<String>,
    ssl_passphrase: Option<String>,
    /// Node's TLS options: only used with https, as `init` always writes it.
    #[serde(rename = "secureOptions")]
    _secure_options: Option<Value>,
    #[serde(default)]
    socketio: Map<String, Value>,
    #[serde(default)]
    subscribers: Subscribers,
    #[serde(default)]
    api_origin_allow: ApiOriginAllow,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AuthHost {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileClient {
    app_id: String,
    key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DatabaseConfig {
    #[serde(default)]
    redis: Map<String, Value>,
    /// Only used with `database: sqlite`, as `init` always writes it.
    #[serde(rename = "sqlite")]
    _sqlite: Option<Value>,
    publish_presence: Option<Value>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Subscribers {
    http: bool,
    redis: bool,
}

impl Default for Subscribers {
    fn default() -> Self {
        Self {
            http: true,
            redis: true,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ApiOriginAllow {
    allow_cors: Option<Value>,
    allow_origin: String,
    allow_methods: String,
    allow_headers: String,
}

impl EchoServer {
    /// Reads and maps a laravel-echo-server.json.
    ///
    /// # Errors
    /// [`ConfigError::Read`], or [`ConfigError::Invalid`] naming the option.
    pub fn from_file(path: &str, env: &dyn Env) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.into(),
            error,
        })?;
        Self::from_json(&text, path, env)
    }

    /// Maps the JSON text of a laravel-echo-server.json; `path` only names it in errors.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the option (or the file, for JSON that does not parse).
    pub fn from_json(text: &str, path: &str, env: &dyn Env) -> Result<Self, ConfigError> {
        let mut value: Value =
            serde_json::from_str(text).map_err(|e| invalid(path, format!("not JSON: {e}")))?;
        let Value::Object(options) = &mut value else {
            return Err(invalid(path, "must be a JSON object"));
        };
        env::apply(options, env);
        let file: File = serde_json::from_value(value).map_err(|e| invalid(path, e.to_string()))?;
        file.map()
    }
}

/// A number given as a JSON number or a string of digits (`"6001"`, as `init` and env write it).
fn number(value: &Value, field: &str) -> Result<u64, ConfigError> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid(field, format!("{value} is not a whole number")))
}

/// A boolean given as `true`/`false` or their strings (env values are strings).
fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true") || s == "1",
        _ => false,
    }
}

impl File {
    fn map(self) -> Result<EchoServer, ConfigError> {
        let mut warnings = Vec::new();
        self.check_protocol(&mut warnings)?;
        let server = ServerConfig {
            // laravel-echo-server without `host` listened on every interface.
            host: self.host.clone().unwrap_or_else(|| "0.0.0.0".into()),
            port: self.port()?,
            ..ServerConfig::default()
        };
        let mut app = AppConfig::with_credentials(ECHO_APP, ECHO_APP, &random_secret());
        if self.subscribers.redis {
            app.ingest = Some(self.ingest(&mut warnings)?);
        }
        app.echo_api = Some(self.echo_api());
        app.socketio = Some(self.socketio(&mut warnings)?);
        self.warn_unused(&mut warnings);
        Ok(EchoServer {
            config: Config {
                server,
                apps: vec![app],
                ..Config::default()
            },
            dev_mode: flag(self.dev_mode.as_ref()),
            warnings,
        })
    }

    fn check_protocol(&self, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        match self.protocol.as_deref().unwrap_or("http") {
            "http" => {}
            "https" => {
                return Err(invalid(
                    "protocol",
                    "\"https\" is not supported yet: Ressò does not terminate TLS; serve it \
                     behind a TLS proxy (nginx, Caddy, a load balancer) and set \"protocol\": \"http\"",
                ))
            }
            other => return Err(invalid("protocol", format!("{other:?} is not http or https"))),
        }
        let ssl = [
            ("sslCertPath", &self.ssl_cert_path),
            ("sslKeyPath", &self.ssl_key_path),
            ("sslCertChainPath", &self.ssl_cert_chain_path),
            ("sslPassphrase", &self.ssl_passphrase),
        ];
        for (name, value) in ssl {
            if value.as_deref().is_some_and(|v| !v.is_empty()) {
                warnings.push(format!("{name} is ignored: protocol is http"));
            }
        }
        Ok(())
    }

    fn port(&self) -> Result<u16, ConfigError> {
        let Some(value) = &self.port else {
            return Ok(6001);
        };
        u16::try_from(number(value, "port")?).map_err(|_| invalid("port", "must be below 65536"))
    }

    /// The Redis URL and prefix laravel-echo-server's Redis subscriber used.
    fn ingest(&self, warnings: &mut Vec<String>) -> Result<IngestConfig, ConfigError> {
        let redis = &self.database_config.redis;
        let field = |name: &str| format!("databaseConfig.redis.{name}");
        let text = |name: &str| match redis.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(invalid(field(name), format!("{other} is not a string"))),
        };
        let host = text("host")?.unwrap_or_else(|| "127.0.0.1".into());
        let port = redis
            .get("port")
            .map_or(Ok(6379), |v| number(v, &field("port")))?;
        let db = redis.get("db").map_or(Ok(0), |v| number(v, &field("db")))?;
        let tls = redis
            .get("tls")
            .is_some_and(|v| !matches!(v, Value::Null | Value::Bool(false)));
        let userinfo = match (text("username")?, text("password")?) {
            (None, None) => String::new(),
            (user, password) => format!(
                "{}:{}@",
                encode(&user.unwrap_or_default()),
                encode(&password.unwrap_or_default())
            ),
        };
        let scheme = if tls { "rediss" } else { "redis" };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let url = format!("{scheme}://{userinfo}{host}:{port}/{db}");
        for key in redis.keys().filter(|k| !REDIS_KEYS.contains(&k.as_str())) {
            warnings.push(format!("{} is not supported and ignored", field(key)));
        }
        let prefix = text("keyPrefix")?.unwrap_or_default();
        Ok(IngestConfig { url, prefix })
    }

    fn echo_api(&self) -> EchoApiConfig {
        let clients = self
            .clients
            .iter()
            .map(|c| EchoClient {
                app_id: c.app_id.clone(),
                key: c.key.clone(),
            })
            .collect();
        let cors = flag(self.api_origin_allow.allow_cors.as_ref()).then(|| EchoCors {
            allow_origin: self.api_origin_allow.allow_origin.clone(),
            allow_methods: self.api_origin_allow.allow_methods.clone(),
            allow_headers: self.api_origin_allow.allow_headers.clone(),
        });
        EchoApiConfig {
            clients,
            events: self.subscribers.http,
            cors,
        }
    }

    fn socketio(&self, warnings: &mut Vec<String>) -> Result<SocketIoConfig, ConfigError> {
        let opt = &self.socketio;
        let field = |name: &str| format!("socketio.{name}");
        let num = |name: &str| opt.get(name).map(|v| number(v, &field(name))).transpose();
        let mut sio = SocketIoConfig::default();
        match opt.get("path") {
            None | Some(Value::Null) => {}
            Some(Value::String(p)) => p.trim_end_matches('/').clone_into(&mut sio.path),
            Some(other) => return Err(invalid(field("path"), format!("{other} is not a string"))),
        }
        for key in opt.keys().filter(|k| !SOCKETIO_KEYS.contains(&k.as_str())) {
            warnings.push(format!("{} is not supported and ignored", field(key)));
        }
        sio.ping_interval = num("pingInterval")?.unwrap_or(sio.ping_interval);
        sio.ping_timeout = num("pingTimeout")?.unwrap_or(sio.ping_timeout);
        if let Some(max) = num("maxHttpBufferSize")? {
            sio.max_payload = usize::try_from(max).unwrap_or(usize::MAX);
        }
        let hosts = match &self.auth_host {
            Some(AuthHost::One(h)) => vec![h.clone()],
            Some(AuthHost::Many(hosts)) => hosts.clone(),
            None => Vec::new(),
        };
        let mut hosts = hosts.into_iter().filter(|h| !h.is_empty());
        sio.auth_host = Some(hosts.next().unwrap_or_else(|| "http://localhost".into()));
        sio.auth_hosts = hosts.collect();
        if let Some(endpoint) = &self.auth_endpoint {
            endpoint.clone_into(&mut sio.auth_endpoint);
        }
        Ok(sio)
    }

    fn warn_unused(&self, warnings: &mut Vec<String>) {
        match self.database.as_deref() {
            None | Some("redis") => {}
            Some(other) => warnings.push(format!(
                "database {other:?} is ignored: presence members are kept in Ressò's registry \
                 (shared by a cluster's nodes)"
            )),
        }
        if self.database_config.publish_presence.is_some() {
            warnings.push(
                "databaseConfig.publishPresence is ignored: presence changes reach every \
                 client and webhook through Ressò's registry"
                    .into(),
            );
        }
        for key in self.database_config.rest.keys() {
            warnings.push(format!("databaseConfig.{key} is not used"));
        }
        for key in self.rest.keys() {
            warnings.push(format!("{key} is not supported and ignored"));
        }
    }
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The app's Pusher secret: laravel-echo-server had none, so nobody can sign with it until a TOML
/// config names the app's credentials.
fn random_secret() -> String {
    format!("{:032x}", rand::random::<u128>())
}

mod env;
#[cfg(test)]
mod tests;
