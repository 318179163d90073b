//! The long-polling transport over plain HTTP: a GET waits for packets, a POST carries some, an
//! OPTIONS preflight is answered for browsers. Polling is cross-origin and engine.io-client sends
//! credentials, so every answer to a browser echoes its `Origin` with
//! `Access-Control-Allow-Credentials: true` — never `*` — when the app allows that origin.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};

use super::open::{open, Birth};
use super::request::{EngineQuery, Failure, Transport};
use super::Endpoint;
use super::{task, Command, Session};
use crate::admission;
use crate::apps::App;
use crate::ws::upgrade::SOCKETIO_HEADERS;
use crate::ws::Stream;

/// Requests a session's task may have waiting (a GET, a POST, an upgrade, with room to spare).
const COMMANDS: usize = 8;

/// Every request to an app's `{path}/`.
pub(super) async fn handle(State(s): State<Endpoint>, app: Arc<App>, request: Request) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let allowed = app.allows_origin(origin.as_ref().and_then(|o| o.to_str().ok()));
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if !allowed {
        Failure::Forbidden.into_response()
    } else if preflight {
        preflight_response(request.headers())
    } else {
        serve(&s, &app, request)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    };
    if let (Some(origin), true) = (origin, allowed) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

fn preflight_response(request: &HeaderMap) -> Response {
    let allow_headers = request
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static("content-type"));
    (
        StatusCode::NO_CONTENT,
        [
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            ),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers),
        ],
    )
        .into_response()
}

async fn serve(s: &Endpoint, app: &Arc<App>, request: Request) -> Result<Response, Failure> {
    let query = EngineQuery::parse(request.uri().query().unwrap_or(""))?;
    if query.transport != Transport::Polling {
        return Err(Failure::BadRequest); // a websocket request that is no valid upgrade
    }
    let method = request.method().clone();
    match (method, query.sid.as_deref()) {
        (Method::GET, None) => {
            // The session outlives this request and its connection: it takes a place of its own.
            let place = admission::another_place().map_err(|_| Failure::OverLimit)?;
            let (tx, rx) = mpsc::channel(COMMANDS);
            let opened = open(
                s,
                app,
                query.version,
                Birth::Polling(tx.clone()),
                headers(request.headers()),
            )?;
            let link = task::Link::<Box<dyn Stream>>::polling();
            let run = task::run(opened.engine, link, opened.inbox, Some(rx));
            admission::spawn_holding(&s.tracker, place, run);
            get(tx).await
        }
        (Method::GET, Some(sid)) => get(session(s, sid)?.tx).await,
        (Method::POST, Some(sid)) => {
            let session = session(s, sid)?;
            let Some(_posting) = session.begin_post() else {
                // The spec: one POST at a time, else 400 and the session closed.
                let _ = session.tx.send(Command::Close).await;
                return Err(Failure::BadRequest);
            };
            let limit = app.config.socketio.as_ref().map_or(0, |c| c.max_payload);
            post(session.tx, request.into_body(), limit).await
        }
        (Method::POST, None) => Err(Failure::BadHandshakeMethod),
        _ => Err(Failure::BadRequest),
    }
}

fn session(s: &Endpoint, sid: &str) -> Result<Session, Failure> {
    s.sessions.get(sid).ok_or(Failure::UnknownSid)
}

/// The handshake headers a handler may read.
fn headers(map: &HeaderMap) -> Vec<(String, String)> {
    SOCKETIO_HEADERS
        .iter()
        .filter_map(|name| {
            let value = map.get(*name)?.to_str().ok()?;
            Some(((*name).to_owned(), value.to_owned()))
        })
        .collect()
}

async fn get(tx: mpsc::Sender<Command>) -> Result<Response, Failure> {
    let (reply, answer) = oneshot::channel();
    tx.send(Command::Get(reply))
        .await
        .map_err(|_| Failure::UnknownSid)?;
    let body = answer.await.map_err(|_| Failure::UnknownSid)??;
    Ok(text(body))
}

async fn post(tx: mpsc::Sender<Command>, body: Body, limit: usize) -> Result<Response, Failure> {
    let bytes = to_bytes(body, limit).await.map_err(|_| Failure::TooLarge)?;
    let body = String::from_utf8(bytes.to_vec()).map_err(|_| Failure::BadRequest)?;
    let (reply, answer) = oneshot::channel();
    tx.send(Command::Post(body, reply))
        .await
        .map_err(|_| Failure::UnknownSid)?;
    answer.await.map_err(|_| Failure::UnknownSid)??;
    Ok(text("ok".to_owned()))
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], body).into_response()
}
