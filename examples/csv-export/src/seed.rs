//! The demo users and their data, made on first start. The rows are generated, not random, so an
//! export is the same every run, and they carry commas, quotes, line breaks and non-ASCII text so
//! the CSV quoting is exercised by every export.

use crate::db::{Db, Order};
use crate::password;

/// The demo logins printed at start; both use [`PASSWORD`].
pub const USERS: [(&str, &str, usize); 2] = [
    ("Demo User", "demo@example.com", 240),
    ("Second User", "second@example.com", 150),
];

/// The password of every seeded user.
pub const PASSWORD: &str = "password";

const ITEMS: [&str; 6] = [
    "Espresso beans, 1 kg",
    "Notebook \"Ressò\" edition",
    "USB-C cable",
    "Café crème, 12 pods",
    "Desk lamp",
    "Plain item",
];

const NOTES: [&str; 4] = [
    "",
    "Gift wrap, please",
    "Leave at the door\nRing twice",
    "Said \"thanks!\" ✓",
];

/// Seeds the demo users unless the database already has users.
///
/// # Errors
/// A database error.
pub async fn seed(db: &Db) -> Result<(), sqlx::Error> {
    if db.user_count().await? > 0 {
        return Ok(());
    }
    let hash = password::hash(PASSWORD);
    for (offset, (name, email, rows)) in USERS.iter().enumerate() {
        db.insert_user(name, email, &hash, &orders(offset, *rows))
            .await?;
    }
    Ok(())
}

/// `count` orders for the user at `offset` in [`USERS`] (each user's rows differ).
fn orders(offset: usize, count: usize) -> Vec<Order> {
    (0..count)
        .map(|i| {
            let n = i + offset * 7;
            Order {
                id: 0,
                placed_on: format!("2026-{:02}-{:02}", n % 12 + 1, n % 28 + 1),
                item: ITEMS[n % ITEMS.len()].to_owned(),
                note: NOTES[n % NOTES.len()].to_owned(),
                quantity: i64::try_from(n % 5 + 1).unwrap_or(1),
                amount_cents: i64::try_from(n * 137 % 10_000 + 99).unwrap_or(99),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_get_different_rows_with_awkward_text() {
        let a = orders(0, 20);
        let b = orders(1, 20);
        assert_ne!(a[0].item, b[0].item);
        assert!(a.iter().any(|o| o.note.contains('\n')));
        assert!(a.iter().any(|o| o.item.contains('"')));
    }
}
