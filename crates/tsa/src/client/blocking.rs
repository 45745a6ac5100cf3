//! The blocking client: the async client driven by a private runtime.

use std::future::Future;
use std::io::Read;
use std::path::Path;

use kenpo_core::alg::Digest;
use tokio::runtime::Runtime;

use super::{ClientConfig, ClientError, TimeStamp, TsaClient, digest_reader};

/// Blocking RFC 3161 client.
///
/// It owns a one-worker tokio runtime; calls block the calling thread until the
/// time-stamp is obtained or every URL failed. It may be shared between threads and used
/// (and dropped) inside an async context, where each call runs on a helper thread.
pub struct BlockingTsaClient {
    client: TsaClient,
    runtime: Option<Runtime>,
}

impl std::fmt::Debug for BlockingTsaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingTsaClient")
            .field("config", self.client.config())
            .finish()
    }
}

impl BlockingTsaClient {
    /// Checks `config` (URLs, no SHA-1) and builds the HTTP client and its runtime.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kenpo-tsa-client")
            .enable_all()
            .build()
            .map_err(|e| ClientError::Setup(format!("runtime: {e}")))?;
        let client = {
            let _guard = runtime.enter();
            TsaClient::new(config)?
        };
        Ok(Self {
            client,
            runtime: Some(runtime),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        self.client.config()
    }

    /// Time-stamps a precomputed digest (its own algorithm is used; SHA-1 is refused).
    pub fn timestamp_digest(&self, imprint: &Digest) -> Result<TimeStamp, ClientError> {
        self.block_on(self.client.timestamp_digest(imprint))
    }

    /// Time-stamps `data`, hashed with the configured digest.
    pub fn timestamp_data(&self, data: &[u8]) -> Result<TimeStamp, ClientError> {
        self.timestamp_digest(&self.config().digest.digest(data))
    }

    /// Time-stamps everything `reader` yields, hashed while streaming.
    pub fn timestamp_reader<R: Read>(&self, reader: R) -> Result<TimeStamp, ClientError> {
        let imprint = digest_reader(self.config().digest, reader)?;
        self.timestamp_digest(&imprint)
    }

    /// Time-stamps the contents of a file, hashed while streaming.
    pub fn timestamp_file(&self, path: impl AsRef<Path>) -> Result<TimeStamp, ClientError> {
        let file = std::fs::File::open(path.as_ref())?;
        self.timestamp_reader(std::io::BufReader::new(file))
    }

    fn block_on<F>(&self, fut: F) -> Result<TimeStamp, ClientError>
    where
        F: Future<Output = Result<TimeStamp, ClientError>> + Send,
    {
        let Some(runtime) = &self.runtime else {
            return Err(ClientError::Setup("runtime already shut down".into()));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(fut);
        }
        // Inside an async context a runtime cannot be blocked on: use a helper thread.
        std::thread::scope(|s| match s.spawn(|| runtime.block_on(fut)).join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    }
}

impl Drop for BlockingTsaClient {
    fn drop(&mut self) {
        // A plain drop would block and panic inside an async context.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
