//! Which URL a socket's channel auth calls. An app names one `auth_host`, and may list more
//! `auth_hosts` for pages served under other names (laravel-echo-server's `authHost` array): the
//! handshake's `Referer` picks among them as laravel-echo-server did — a host matches when it is
//! the page's origin (`https://shop.test:8443`), its `host:port`, or its domain written with a
//! leading dot (`.shop.test` for `app.shop.test`) — and the call then goes to the page's own
//! origin. A page matching none (or no `Referer`) is authorized at `auth_host`.

use std::time::Duration;

use reqwest::Url;

use crate::config::SocketIoConfig;

/// Where and how long to ask, for one socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthTarget {
    /// The chosen host + `auth_endpoint`.
    pub url: String,
    pub timeout: Duration,
}

impl AuthTarget {
    /// The target for a socket whose handshake carried `referer`; `None` without an `auth_host`.
    #[must_use]
    pub fn for_page(c: &SocketIoConfig, referer: Option<&str>) -> Option<Self> {
        let fallback = c.auth_host.as_deref()?;
        let hosts = std::iter::once(fallback).chain(c.auth_hosts.iter().map(String::as_str));
        let chosen = referer.and_then(|r| matching_origin(r, hosts));
        let host = chosen.as_deref().unwrap_or(fallback).trim_end_matches('/');
        Some(Self {
            url: format!("{host}{}", c.auth_endpoint),
            timeout: c.auth_timeout(),
        })
    }
}

/// The referring page's origin, if one of `hosts` names it.
fn matching_origin<'a>(referer: &str, mut hosts: impl Iterator<Item = &'a str>) -> Option<String> {
    let page = Url::parse(referer).ok()?;
    let name = page.host_str()?;
    let host = match page.port() {
        Some(port) => format!("{name}:{port}"),
        None => name.to_owned(),
    };
    let origin = format!("{}://{host}", page.scheme());
    let domain = name.find('.').map(|dot| &name[dot..]);
    let matches = |h: &str| {
        let h = h.trim_end_matches('/');
        h == origin || h == host || Some(h) == domain
    };
    hosts.any(matches).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(hosts: &[&str]) -> SocketIoConfig {
        SocketIoConfig {
            auth_host: Some("http://127.0.0.1:8000/".into()),
            auth_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            auth_timeout: 1500,
            ..SocketIoConfig::default()
        }
    }

    fn url(c: &SocketIoConfig, referer: Option<&str>) -> String {
        AuthTarget::for_page(c, referer).unwrap().url
    }

    #[test]
    fn without_auth_host_nothing_is_asked() {
        assert_eq!(AuthTarget::for_page(&SocketIoConfig::default(), None), None);
    }

    #[test]
    fn auth_host_serves_pages_that_match_nothing() {
        let c = config(&["https://shop.test"]);
        let t = AuthTarget::for_page(&c, None).unwrap();
        assert_eq!(t.url, "http://127.0.0.1:8000/broadcasting/auth");
        assert_eq!(t.timeout, Duration::from_millis(1500));
        for other in [
            "https://evil.test/x",
            "not a url",
            "https://shop.test.evil/",
        ] {
            assert_eq!(
                url(&c, Some(other)),
                "http://127.0.0.1:8000/broadcasting/auth"
            );
        }
    }

    #[test]
    fn the_referer_picks_among_the_hosts() {
        let c = config(&["https://shop.test", "admin.test:8443", ".blog.test"]);
        let cases = [
            ("https://shop.test/orders/1", "https://shop.test"),
            ("https://admin.test:8443/", "https://admin.test:8443"),
            ("http://admin.test:8443/x", "http://admin.test:8443"),
            ("https://www.blog.test/post", "https://www.blog.test"),
            ("http://127.0.0.1:8000/page", "http://127.0.0.1:8000"),
        ];
        for (referer, base) in cases {
            assert_eq!(
                url(&c, Some(referer)),
                format!("{base}/broadcasting/auth"),
                "{referer}"
            );
        }
        // The scheme is part of an origin entry: http://shop.test is not https://shop.test.
        assert_eq!(
            url(&c, Some("http://shop.test/")),
            "http://127.0.0.1:8000/broadcasting/auth"
        );
    }
}
