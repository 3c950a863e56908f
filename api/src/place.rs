//! Where a command finds the books and the lake: the command line's global options, resolved the same way for
//! every command and for the benchmarks.

use std::path::Path;

use anyhow::{Context as _, Result};
use oltp::Db;

/// The data directory, and the database and the lake given on the command line (or else the data directory's).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    /// The data directory.
    pub(crate) data: &'a Path,
    /// `--database-url`, if given.
    pub(crate) url: Option<&'a str>,
    /// `--lake`, if given.
    pub(crate) lake_at: Option<&'a str>,
}

impl Place<'_> {
    /// The database URL in effect.
    pub(crate) fn database_url(&self) -> String {
        self.url.map_or_else(|| self.data.join("loupe.db").display().to_string(), str::to_string)
    }

    /// The lake in effect: --lake, or the data directory's.
    pub(crate) fn lake(&self) -> Result<etl::Lake> {
        match self.lake_at {
            None => Ok(etl::Lake::at(warehouse::lake_dir(self.data))),
            Some(at) => Ok(etl::Lake::open(at, &self.data.join("lake-local"), Default::default())?),
        }
    }

    /// Opens the database (creating the data directory for the default SQLite file) and migrates it.
    pub(crate) async fn open(&self) -> Result<Db> {
        self.open_with(false).await
    }

    /// Opens the database; `single`: one connection, for one sequential writer.
    pub(crate) async fn open_with(&self, single: bool) -> Result<Db> {
        if self.url.is_none() {
            std::fs::create_dir_all(self.data)
                .with_context(|| format!("cannot create data directory {}", self.data.display()))?;
        }
        let url = self.database_url();
        let db = if single { Db::connect_single(&url).await? } else { Db::connect(&url).await? };
        db.migrate().await?;
        Ok(db)
    }
}
