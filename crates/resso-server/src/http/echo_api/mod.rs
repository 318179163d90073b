//! laravel-echo-server's HTTP API, for apps that published or asked through it:
//! `POST /apps/{appId}/events`, `GET /apps/{appId}/status`, `/channels`, `/channels/{channel}` and
//! `/channels/{channel}/users`, authorised by `[apps.echo_api].clients` (`?auth_key=` or the
//! `Authorization` header, a `Bearer ` prefix stripped) and answered as it answered, 403
//! `{"error":"Unauthorized"}` included. The paths are the Pusher API's too, so [`dispatch`] decides
//! per request: one with `auth_signature` is Pusher's; one without it but with `auth_key` or an
//! `Authorization` header is the echo-server API's; anything else stays Pusher's.

mod answers;

use std::sync::{Arc, LazyLock};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use percent_encoding::percent_decode_str;
use resso_protocol::http_sig::Query;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::apps::{Alias, App};
use crate::config::EchoCors;
use crate::http::Shared;

/// When the API came up, for `status`'s `uptime`.
static STARTED: LazyLock<Instant> = LazyLock::new(Instant::now);

/// The echo-server request a path names.
enum Route {
    Events,
    Status,
    Channels,
    Channel(String),
    Users(String),
}

/// Why an echo-server request failed, answered as laravel-echo-server answered.
#[derive(Debug, thiserror::Error)]
pub enum EchoFailure {
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error("Not found")]
    NotFound,
}

impl IntoResponse for EchoFailure {
    fn into_response(self) -> Response {
        let status = match self {
            Self::Unauthorized => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// Starts the clock `status` reports `uptime` from; called when the router is built.
pub fn start_clock() {
    LazyLock::force(&STARTED);
}

/// Middleware in front of the router: serves echo-server requests, passes the rest on.
pub async fn dispatch(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let Some((app_id, rest)) = split(req.uri().path()) else {
        return next.run(req).await;
    };
    let query = Query::parse(req.uri().query().unwrap_or(""));
    if req.method() == Method::OPTIONS {
        if let Some(cors) = client_app(&s, &app_id).await.and_then(|a| cors_of(&a)) {
            return with_cors(StatusCode::NO_CONTENT.into_response(), &cors);
        }
        return next.run(req).await;
    }
    let auth = req.headers().get(header::AUTHORIZATION);
    let key = match (query.get("auth_signature"), auth, query.get("auth_key")) {
        (Some(_), _, _) | (None, None, None) => return next.run(req).await,
        (None, Some(value), _) => {
            let value = value.to_str().unwrap_or("");
            value.strip_prefix("Bearer ").unwrap_or(value).to_owned()
        }
        (None, None, Some(key)) => key.to_owned(),
    };
    let Some(route) = route(req.method(), &rest) else {
        return next.run(req).await;
    };
    let app = client_app(&s, &app_id).await;
    let cors = app.as_ref().and_then(|a| cors_of(a));
    let response = match app.filter(|a| authorised(a, &app_id, &key)) {
        Some(app) => serve(&s, &app, route, &query, req).await,
        None => EchoFailure::Unauthorized.into_response(),
    };
    match cors {
        Some(cors) => with_cors(response, &cors),
        None => response,
    }
}

/// `/apps/{appId}/{rest}` → the decoded app id and the segments after it.
fn split(path: &str) -> Option<(String, Vec<String>)> {
    let rest = path.strip_prefix("/apps/")?;
    let mut parts = rest
        .split('/')
        .map(|p| percent_decode_str(p).decode_utf8_lossy().into_owned());
    let app_id = parts.next().filter(|id| !id.is_empty())?;
    Some((app_id, parts.collect()))
}

fn route(method: &Method, rest: &[String]) -> Option<Route> {
    let segments: Vec<&str> = rest.iter().map(String::as_str).collect();
    let route = match (segments.as_slice(), *method == Method::POST) {
        (["events"], true) => Route::Events,
        (["status"], false) => Route::Status,
        (["channels"], false) => Route::Channels,
        (["channels", channel], false) => Route::Channel((*channel).to_owned()),
        (["channels", channel, "users"], false) => Route::Users((*channel).to_owned()),
        _ => return None,
    };
    (*method == Method::POST || *method == Method::GET).then_some(route)
}

/// The app one of whose echo-server clients is `app_id` (a database app's known without a query).
async fn client_app(s: &Shared, app_id: &str) -> Option<Arc<App>> {
    s.apps.find_alias(Alias::EchoClient(app_id)).await
}

fn authorised(app: &App, app_id: &str, key: &str) -> bool {
    app.config
        .echo_api
        .as_ref()
        .is_some_and(|api| api.authorises(app_id, key))
}

fn cors_of(app: &App) -> Option<EchoCors> {
    app.config.echo_api.as_ref()?.cors.clone()
}

fn with_cors(mut response: Response, cors: &EchoCors) -> Response {
    let headers = response.headers_mut();
    let pairs = [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, &cors.allow_origin),
        (header::ACCESS_CONTROL_ALLOW_METHODS, &cors.allow_methods),
        (header::ACCESS_CONTROL_ALLOW_HEADERS, &cors.allow_headers),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    response
}

async fn serve(s: &Shared, app: &App, route: Route, query: &Query, req: Request) -> Response {
    let result = match route {
        Route::Events => {
            let body = axum::body::to_bytes(req.into_body(), answers::MAX_BODY).await;
            match body {
                Ok(body) => answers::events(s, app, &body),
                Err(_) => Err(EchoFailure::BadRequest("Request body too large".into())),
            }
        }
        Route::Status => Ok(answers::status(s, app, STARTED.elapsed())),
        Route::Channels => Ok(answers::channels(s, app, query.get("filter_by_prefix"))),
        Route::Channel(channel) => Ok(answers::channel(s, app, &channel)),
        Route::Users(channel) => answers::users(s, app, &channel),
    };
    match result {
        Ok(value) => Json::<Value>(value).into_response(),
        Err(failure) => failure.into_response(),
    }
}
