use super::*;

#[test]
fn origins_match_by_host_or_full_origin() {
    let mut c = AppConfig::development();
    let open = App::from_config(&c);
    assert!(open.allows_origin(Some("https://evil.test")));
    c.allowed_origins = vec!["example.com".into(), "http://localhost:3000".into()];
    let app = App::from_config(&c);
    assert!(app.allows_origin(Some("https://example.com")));
    assert!(app.allows_origin(Some("https://example.com:8443")));
    assert!(app.allows_origin(Some("http://localhost:3000")));
    assert!(!app.allows_origin(Some("https://evil.test")));
    assert!(!app.allows_origin(Some("http://localhost:4000")));
    assert!(app.allows_origin(None));
}

fn app(id: &str, enabled: bool) -> AppConfig {
    AppConfig {
        id: id.into(),
        key: format!("key-{id}"),
        enabled,
        ..AppConfig::development()
    }
}

#[test]
fn a_replace_keeps_unchanged_apps_and_names_the_rest() {
    let apps = Apps::new(&[app("a", true), app("b", true), app("c", true)]);
    let a = apps.by_id("a").unwrap();
    let mut changed = app("b", true);
    changed.secret = "rotated".into();
    let r = apps.replace(&[app("a", true), changed, app("c", false), app("d", true)]);
    assert!(Arc::ptr_eq(&a, &apps.by_id("a").unwrap()));
    assert_eq!(apps.by_key("key-b").unwrap().config.secret, "rotated");
    assert_eq!(r.added, [AppId::from("d")]);
    assert_eq!(r.changed, [AppId::from("b")]);
    assert_eq!(r.removed, [AppId::from("c")]);
    let r = apps.replace(&[app("a", true)]);
    let mut removed = r.removed;
    removed.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    assert_eq!(
        removed,
        [AppId::from("b"), AppId::from("c"), AppId::from("d")]
    );
    assert!(apps.by_key("key-d").is_none());
}
