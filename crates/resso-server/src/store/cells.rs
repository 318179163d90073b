//! A database row as named cells, whatever the column types: Soketi's table is created with
//! `smallint`, `tinyint(1)`, `boolean`, `integer`, `json` or `text` columns depending on who wrote
//! the DDL, so each value is decoded by trying the types its database may hold.

use std::collections::HashMap;

use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{Column, Row};

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Json(serde_json::Value),
}

/// A row: cells by lower-case column name.
pub type Cells = HashMap<String, Cell>;

/// Tries each Rust type in turn; the first that decodes (or finds NULL) gives the cell.
macro_rules! decode {
    ($row:expr, $i:expr; $($ty:ty => $make:expr),+ $(,)?) => {{
        $(
            if let Ok(value) = $row.try_get::<Option<$ty>, _>($i) {
                return value.map_or(Cell::Null, $make);
            }
        )+
        Cell::Null
    }};
}

fn pg_cell(row: &PgRow, i: usize) -> Cell {
    decode!(row, i;
        i16 => |v| Cell::Int(v.into()),
        i32 => |v| Cell::Int(v.into()),
        i64 => Cell::Int,
        bool => Cell::Bool,
        f32 => |v| Cell::Float(v.into()),
        f64 => Cell::Float,
        String => Cell::Text,
        Json<serde_json::Value> => |v: Json<serde_json::Value>| Cell::Json(v.0),
    )
}

fn mysql_cell(row: &MySqlRow, i: usize) -> Cell {
    decode!(row, i;
        i64 => Cell::Int,
        u64 => |v| Cell::Int(i64::try_from(v).unwrap_or(i64::MAX)),
        bool => Cell::Bool,
        f64 => Cell::Float,
        f32 => |v| Cell::Float(v.into()),
        String => Cell::Text,
        Json<serde_json::Value> => |v: Json<serde_json::Value>| Cell::Json(v.0),
    )
}

/// A PostgreSQL row's cells.
#[must_use]
pub fn of_pg(row: &PgRow) -> Cells {
    let columns = row.columns().iter().enumerate();
    columns
        .map(|(i, c)| (c.name().to_ascii_lowercase(), pg_cell(row, i)))
        .collect()
}

/// A MySQL/MariaDB row's cells.
#[must_use]
pub fn of_mysql(row: &MySqlRow) -> Cells {
    let columns = row.columns().iter().enumerate();
    columns
        .map(|(i, c)| (c.name().to_ascii_lowercase(), mysql_cell(row, i)))
        .collect()
}

impl Cell {
    /// A whole number (a boolean counts as 0 or 1, a numeric text is read).
    #[must_use]
    pub fn int(&self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(*n),
            #[allow(clippy::cast_possible_truncation)]
            Self::Float(f) => Some(f.round() as i64),
            Self::Bool(b) => Some(i64::from(*b)),
            Self::Text(t) => t.trim().parse().ok(),
            Self::Null | Self::Json(_) => None,
        }
    }

    /// A number, fractions kept (Soketi's kilobytes).
    #[must_use]
    pub fn float(&self) -> Option<f64> {
        match self {
            Self::Float(f) => Some(*f),
            Self::Text(t) => t.trim().parse().ok(),
            #[allow(clippy::cast_precision_loss)]
            other => other.int().map(|n| n as f64),
        }
    }

    /// A boolean: `true`/`false`, a non-zero number, `"1"`/`"true"`.
    #[must_use]
    pub fn boolean(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            other => other.int().map(|n| n != 0),
        }
    }

    /// A text (a number as its digits: an `id` column may be an integer).
    #[must_use]
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Text(t) => Some(t.clone()),
            Self::Int(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A JSON value (a text holding JSON is parsed).
    #[must_use]
    pub fn json(&self) -> Option<serde_json::Value> {
        match self {
            Self::Json(v) => Some(v.clone()),
            Self::Text(t) => serde_json::from_str(t).ok(),
            _ => None,
        }
    }
}
