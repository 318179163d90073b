//! Turning orders into CSV bytes with the `csv` crate (RFC 4180 quoting), one row at a time as
//! they come from the database, so memory holds the CSV being built, never the query result.
//! Pure: the worker feeds it rows and asks when the percentage has moved.

use crate::db::Order;

/// The header row, in column order.
pub const HEADER: [&str; 6] = [
    "order_id",
    "placed_on",
    "item",
    "note",
    "quantity",
    "amount",
];

/// Why a CSV could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing CSV: {0}")]
    Flush(#[from] Box<csv::IntoInnerError<csv::Writer<Vec<u8>>>>),
}

/// A CSV being built for `total` rows.
pub struct Builder {
    writer: csv::Writer<Vec<u8>>,
    done: u64,
    total: u64,
}

impl Builder {
    /// A CSV holding only the header so far.
    ///
    /// # Errors
    /// Never in practice (writing to memory); the writer's error type says it could.
    pub fn new(total: u64) -> Result<Self, CsvError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(HEADER)?;
        Ok(Self {
            writer,
            done: 0,
            total,
        })
    }

    /// Appends `order`; returns whether the whole percentage moved (time to tell the page).
    ///
    /// # Errors
    /// A writer error.
    pub fn push(&mut self, o: &Order) -> Result<bool, CsvError> {
        let amount = format!("{}.{:02}", o.amount_cents / 100, o.amount_cents % 100);
        self.writer.write_record([
            o.id.to_string().as_str(),
            &o.placed_on,
            &o.item,
            &o.note,
            &o.quantity.to_string(),
            &amount,
        ])?;
        self.done += 1;
        Ok(percent(self.done - 1, self.total) != percent(self.done, self.total))
    }

    /// Rows written so far.
    #[must_use]
    pub fn done(&self) -> u64 {
        self.done
    }

    #[must_use]
    pub fn percent(&self) -> u8 {
        percent(self.done, self.total)
    }

    /// The finished CSV.
    ///
    /// # Errors
    /// A writer error on the final flush.
    pub fn finish(self) -> Result<Vec<u8>, CsvError> {
        self.writer
            .into_inner()
            .map_err(|e| CsvError::Flush(Box::new(e)))
    }
}

/// `done` of `total` as a whole percentage (100 for an empty export).
#[must_use]
pub fn percent(done: u64, total: u64) -> u8 {
    if total == 0 {
        return 100;
    }
    u8::try_from(done.min(total) * 100 / total).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: i64, note: &str) -> Order {
        Order {
            id,
            placed_on: "2026-01-02".into(),
            item: "Notebook \"Ressò\", blue".into(),
            note: note.into(),
            quantity: 2,
            amount_cents: 1205,
        }
    }

    #[test]
    fn quotes_commas_quotes_and_line_breaks() {
        let mut csv = Builder::new(2).unwrap();
        csv.push(&order(1, "a\nb")).unwrap();
        csv.push(&order(2, "")).unwrap();
        assert_eq!(
            String::from_utf8(csv.finish().unwrap()).unwrap(),
            "order_id,placed_on,item,note,quantity,amount\n\
             1,2026-01-02,\"Notebook \"\"Ressò\"\", blue\",\"a\nb\",2,12.05\n\
             2,2026-01-02,\"Notebook \"\"Ressò\"\", blue\",,2,12.05\n"
        );
    }

    #[test]
    fn says_when_the_percentage_moves() {
        let mut csv = Builder::new(300).unwrap();
        let moved: Vec<u64> = (1..=300)
            .filter(|&i| csv.push(&order(i64::try_from(i).unwrap(), "")).unwrap())
            .collect();
        assert_eq!(moved.len(), 100);
        assert_eq!(moved.first(), Some(&3));
        assert_eq!(csv.percent(), 100);
    }

    #[test]
    fn an_empty_export_is_complete() {
        assert_eq!(Builder::new(0).unwrap().percent(), 100);
    }
}
