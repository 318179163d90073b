//! The auth call against the Laravel-like endpoint: each outcome, and what is forwarded.

use super::*;

#[tokio::test]
async fn auth_outcomes() {
    let (target, _) = auth_app().await;
    assert!(matches!(
        authorize(&target, "private-ok").await,
        Ok(Allowed::Private)
    ));
    assert!(matches!(
        authorize(&target, "private-empty").await,
        Ok(Allowed::Private)
    ));
    let Ok(Allowed::Member(m)) = authorize(&target, "presence-room").await else {
        panic!()
    };
    assert_eq!(
        (m.user_id.as_str(), m.user_info.unwrap().get()),
        ("1", r#"{"name":"U1"}"#)
    );
    let Ok(Allowed::Member(m)) = authorize(&target, "presence-room-2").await else {
        panic!()
    };
    assert_eq!(m.user_id.as_str(), "2");
    let refused = authorize(&target, "private-deny").await.unwrap_err();
    assert!(matches!(refused, AuthError::Refused(403)), "{refused}");
    let bad = authorize(&target, "presence-bad").await.unwrap_err();
    assert!(
        matches!(bad, AuthError::Malformed(Malformed::NoChannelData)),
        "{bad}"
    );
    assert_eq!(bad.status(), 502);
    let slow = authorize(&target, "private-slow").await.unwrap_err();
    assert!(matches!(slow, AuthError::Timeout(_)), "{slow}");
    assert_eq!(slow.status(), 504);
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = AuthTarget {
        url: format!("http://{}/broadcasting/auth", closed.local_addr().unwrap()),
        ..target
    };
    drop(closed);
    let unreachable = authorize(&gone, "private-ok").await.unwrap_err();
    assert!(
        matches!(unreachable, AuthError::Unreachable(_)),
        "{unreachable}"
    );
}

#[tokio::test]
async fn auth_forwards_the_browsers_credentials_only() {
    let (target, seen) = auth_app().await;
    authorize(&target, "private-ok").await.unwrap();
    let headers = seen.lock().unwrap().pop().unwrap();
    let get = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(get("x-csrf-token").as_deref(), Some("csrf"));
    assert_eq!(get("authorization").as_deref(), Some("Bearer t"));
    assert_eq!(get("cookie").as_deref(), Some("laravel_session=abc"));
    assert_eq!(get("x-requested-with").as_deref(), Some("XMLHttpRequest"));
    assert_eq!(
        get("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_ne!(get("host").as_deref(), Some("evil.test"));
    assert_eq!(get("content-length").as_deref(), Some("23")); // channel_name=private-ok
}
