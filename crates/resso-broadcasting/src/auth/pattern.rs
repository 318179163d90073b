//! Laravel's channel patterns: `orders.{order}` where `{x}` matches `[^.]+` and the rest literally,
//! matched against the name with `private-encrypted-`, `private-` or `presence-` stripped. A small
//! backtracking matcher gives what Laravel's regex gives (greedy placeholders) without a regex crate.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    Param(String),
}

/// A parsed channel pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    tokens: Vec<Token>,
}

/// The placeholders a match bound, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// The raw text bound to `{name}`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `{name}` parsed as `T` (`None` when absent or unparsable — deny in that case).
    #[must_use]
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.get(name)?.parse().ok()
    }
}

/// The channel name as patterns see it: without `private-encrypted-`, `private-` or `presence-`.
#[must_use]
pub fn normalize(channel: &str) -> &str {
    ["private-encrypted-", "private-", "presence-"]
        .iter()
        .find_map(|p| channel.strip_prefix(p))
        .unwrap_or(channel)
}

impl Pattern {
    /// Parses `orders.{order}`; text outside braces is literal (an unclosed `{` too).
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut tokens = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            if open > 0 {
                tokens.push(Token::Literal(rest[..open].to_owned()));
            }
            tokens.push(Token::Param(rest[open + 1..open + close].to_owned()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            tokens.push(Token::Literal(rest.to_owned()));
        }
        Self {
            text: text.to_owned(),
            tokens,
        }
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Matches a normalized channel name, binding the placeholders.
    #[must_use]
    pub fn matches(&self, name: &str) -> Option<Params> {
        let mut bound = Vec::new();
        if match_tokens(&self.tokens, name, &mut bound) {
            Some(Params(bound.into_iter().collect()))
        } else {
            None
        }
    }
}

fn match_tokens(tokens: &[Token], input: &str, bound: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return input.is_empty();
    };
    match first {
        Token::Literal(lit) => input
            .strip_prefix(lit.as_str())
            .is_some_and(|after| match_tokens(rest, after, bound)),
        Token::Param(name) => {
            let longest = input.find('.').unwrap_or(input.len());
            // Greedy, then backtrack: as `([^.]+)` does.
            for len in (1..=longest).rev().filter(|&l| input.is_char_boundary(l)) {
                bound.push((name.clone(), input[..len].to_owned()));
                if match_tokens(rest, &input[len..], bound) {
                    return true;
                }
                bound.pop();
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> Option<Vec<(String, String)>> {
        let params = Pattern::parse(pattern).matches(name)?;
        let mut v: Vec<_> = params.0.into_iter().collect();
        v.sort();
        Some(v)
    }

    fn p(pairs: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            pairs
                .iter()
                .map(|(a, b)| ((*a).into(), (*b).into()))
                .collect(),
        )
    }

    #[test]
    fn placeholders_match_one_segment() {
        assert_eq!(m("orders.{order}", "orders.42"), p(&[("order", "42")]));
        assert_eq!(m("orders.{order}", "orders.42.items"), None);
        assert_eq!(m("orders.{order}", "orders."), None);
        assert_eq!(m("orders.{order}", "orders"), None);
        assert_eq!(m("orders", "orders"), p(&[]));
        assert_eq!(m("orders", "orders2"), None);
        assert_eq!(
            m("App.Models.User.{id}", "App.Models.User.7"),
            p(&[("id", "7")])
        );
        assert_eq!(
            m("chat.{room}.{user}", "chat.a-b.9"),
            p(&[("room", "a-b"), ("user", "9")])
        );
    }

    #[test]
    fn greedy_with_backtracking_like_the_regex() {
        assert_eq!(m("a.{x}-{y}", "a.b-c-d"), p(&[("x", "b-c"), ("y", "d")]));
        assert_eq!(m("user-{id}", "user-é"), p(&[("id", "é")]));
    }

    #[test]
    fn prefixes_are_stripped_before_matching() {
        assert_eq!(normalize("private-orders.1"), "orders.1");
        assert_eq!(normalize("private-encrypted-doc.1"), "doc.1");
        assert_eq!(normalize("presence-chat.1"), "chat.1");
        assert_eq!(normalize("orders.1"), "orders.1");
    }

    #[test]
    fn typed_parameters() {
        let params = Pattern::parse("orders.{order}")
            .matches("orders.42")
            .unwrap();
        assert_eq!(params.parse::<u64>("order"), Some(42));
        let params = Pattern::parse("orders.{order}")
            .matches("orders.x")
            .unwrap();
        assert_eq!(params.parse::<u64>("order"), None);
    }
}
