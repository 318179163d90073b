//! The export story's back end: a job naming one export ([`ExportJob`]), the queue it waits in
//! ([`queue`]), the CSV it becomes ([`csv`]), and the worker that builds, mails and announces it
//! ([`worker`]).

pub mod csv;
pub mod queue;
pub mod worker;

use serde::{Deserialize, Serialize};

/// One queued export: which export row to fill in, for which user. Only ids travel through the
/// queue; the worker reads everything else when it runs, as a Laravel job re-reads its models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportJob {
    pub export_id: i64,
    pub user_id: i64,
}
