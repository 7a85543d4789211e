//! The files of a SQLite database as the file system sees them: the shared-memory file kept open
//! and backed by the disk, the free space left, and a probe that tells a failing file system from
//! a damaged database.
//!
//! Why the shared-memory file (`…-shm`, the WAL index) needs care: SQLite maps it into memory, and
//! extends it by writing one byte at the end of each 4 KiB page. On a file system with 1 KiB blocks
//! (ext4's choice below 512 MiB) that allocates one block of the four of each page; the first store
//! into one of the other three must allocate it, and on a full disk the kernel answers with SIGBUS:
//! the process dies. SQLite truncates and rebuilds the file whenever a process opens the database
//! with no connection of its own left open — which the pool did on a full disk, closing each
//! connection that a failed commit left inside a transaction. So the store keeps one connection
//! open for its whole life (the index is never rebuilt) and allocates every block of the file as
//! soon as it is open (no page is left partly backed).

use crate::StoreError;
use crate::shared::sqlx_error;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, ConnectOptions as _};
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A WAL larger than this has outgrown what the automatic checkpoint keeps it to (1,000 pages):
/// readers overlapping without a pause kept it from starting over, and it grows while the load
/// lasts. It is then checkpointed and truncated ([`crate::Store`]'s commits look every
/// [`WAL_CHECK_EVERY`] commits).
pub(crate) const WAL_TRIM_BYTES: u64 = 4 << 20;

/// How many commits between two looks at the WAL's size.
const WAL_CHECK_EVERY: u64 = 128;

/// Allocated ahead in the shared-memory file: four 32 KiB index blocks, a WAL of about 16,000
/// frames — far more than the automatic checkpoint lets it reach.
const SHM_BACKED: u64 = 128 * 1024;

/// The files of one SQLite database, and the connection that keeps its index alive.
pub(crate) struct SqliteFiles {
    database: PathBuf,
    /// Never used for statements: its being open is what keeps SQLite from rebuilding the WAL
    /// index while the process lives.
    _keeper: Mutex<SqliteConnection>,
    /// How much of the shared-memory file is known to be allocated.
    backed: AtomicU64,
    /// Commits since the store was opened, to look at the WAL's size now and then.
    commits: AtomicU64,
    /// A checkpoint that truncates the WAL is under way: one at a time.
    trimming: AtomicBool,
}

/// Held while the WAL is being trimmed.
pub(crate) struct Trimming<'a>(&'a AtomicBool);

impl Drop for Trimming<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl std::fmt::Debug for SqliteFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteFiles")
            .field("backed", &self.backed)
            .finish_non_exhaustive()
    }
}

impl SqliteFiles {
    /// Opens the keeping connection with the pool's options, and backs the index file.
    pub(crate) async fn open(options: &SqliteConnectOptions) -> Result<Self, StoreError> {
        let mut keeper = options.connect().await.map_err(sqlx_error)?;
        // The WAL and its index are opened with the first read.
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&mut keeper)
            .await
            .map_err(sqlx_error)?;
        let files = Self {
            database: options.get_filename().to_path_buf(),
            _keeper: Mutex::new(keeper),
            backed: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            trimming: AtomicBool::new(false),
        };
        files.back_shared_memory();
        Ok(files)
    }

    /// Whether the WAL outgrew [`WAL_TRIM_BYTES`]; looked at once every [`WAL_CHECK_EVERY`]
    /// commits (`every_commit`), or now.
    pub(crate) fn wal_outgrown(&self, every_commit: bool) -> bool {
        if every_commit
            && !self
                .commits
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(WAL_CHECK_EVERY)
        {
            return false;
        }
        let mut name = self.database.clone().into_os_string();
        name.push("-wal");
        std::fs::metadata(PathBuf::from(name)).is_ok_and(|m| m.len() > WAL_TRIM_BYTES)
    }

    /// The right to trim the WAL, unless a trim is under way.
    pub(crate) fn trimming(&self) -> Option<Trimming<'_>> {
        (!self.trimming.swap(true, Ordering::AcqRel)).then_some(Trimming(&self.trimming))
    }

    fn shared_memory(&self) -> PathBuf {
        let mut name = self.database.clone().into_os_string();
        name.push("-shm");
        PathBuf::from(name)
    }

    /// Allocates every block of the shared-memory file (and some ahead), without changing its
    /// size or content: a hole read is zeros, an allocated block too. Done again when the file
    /// grew past what was allocated. A failure (a full disk) is only logged: the next call tries
    /// again.
    pub(crate) fn back_shared_memory(&self) {
        let path = self.shared_memory();
        let result = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .and_then(|file| {
                let size = file.metadata()?.len();
                let wanted = size.max(SHM_BACKED).next_multiple_of(SHM_BACKED);
                if wanted > self.backed.load(Ordering::Acquire) {
                    rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::KEEP_SIZE, 0, wanted)
                        .map_err(std::io::Error::from)?;
                    self.backed.store(wanted, Ordering::Release);
                }
                Ok(())
            });
        if let Err(error) = result {
            tracing::warn!(%error, "cannot allocate the blocks of the SQLite WAL index");
        }
    }

    /// Bytes free on the database's file system for this process's user.
    pub(crate) fn free_bytes(&self) -> std::io::Result<u64> {
        let directory = folder_of(&self.database);
        let stat = rustix::fs::statvfs(directory).map_err(std::io::Error::from)?;
        Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    /// Whether the file system under the database fails now: the database's header cannot be
    /// read, or a small file beside it cannot be written and synced. `None` when both work — then
    /// an error SQLite reported as corruption is corruption.
    pub(crate) fn probe(&self) -> Option<String> {
        let read = File::open(&self.database).and_then(|mut file| {
            let mut header = [0u8; 100];
            file.read_exact(&mut header)
        });
        if let Err(error) = read {
            return Some(format!(
                "the database file cannot be read: {}",
                error.kind()
            ));
        }
        let probe = folder_of(&self.database).join(format!(
            ".ticketd-probe-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = File::create(&probe).and_then(|mut file| {
            file.write_all(&[0u8; 512])?;
            file.sync_all()
        });
        let _ = std::fs::remove_file(&probe);
        match written {
            Ok(()) => None,
            Err(error) => Some(format!(
                "the database's folder cannot be written: {}",
                error.kind()
            )),
        }
    }
}

fn folder_of(database: &Path) -> &Path {
    match database.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}
