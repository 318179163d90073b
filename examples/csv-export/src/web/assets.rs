//! The pages' scripts and styles, embedded in the binary so `cargo run` needs no npm: Laravel Echo,
//! pusher-js and socket.io-client are vendored copies of the npm packages' browser builds (MIT;
//! licences beside them in `assets/vendor/`, refreshed with `npm run vendor`), the rest is the
//! app's own.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const JS: &str = "text/javascript; charset=utf-8";

/// `(name, content type, bytes)` of every asset.
const ASSETS: [(&str, &str, &[u8]); 6] = [
    (
        "echo.iife.js",
        JS,
        include_bytes!("../../assets/vendor/echo.iife.js"),
    ),
    (
        "pusher.min.js",
        JS,
        include_bytes!("../../assets/vendor/pusher.min.js"),
    ),
    (
        "socket.io.min.js",
        JS,
        include_bytes!("../../assets/vendor/socket.io.min.js"),
    ),
    ("app.js", JS, include_bytes!("../../assets/app.js")),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/favicon.svg"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/app.css"),
    ),
];

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type)], *bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
