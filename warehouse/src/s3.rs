//! Lakes in S3 (or anything that speaks its protocol: MinIO, Ceph, R2 …), through `object_store`'s client, which
//! delta-rs is handed for the `s3://` scheme. Connection settings come from the usual `AWS_*` environment
//! variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
//! `AWS_ALLOW_HTTP` …), overridden by the options a [`crate::Lake`] is opened with. Commits use S3's
//! conditional put (`If-None-Match: *`), so two writers can never both write the same version of a table.

use std::collections::HashMap;
use std::sync::{Arc, Once};

use deltalake::logstore::object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use deltalake::logstore::object_store::{self, ObjectStore};
use deltalake::logstore::{
    LogStore, LogStoreFactory, ObjectStoreFactory, ObjectStoreRef, StorageConfig, default_logstore, logstore_factories,
    object_store_factories,
};
use deltalake::{DeltaResult, DeltaTableError};
use url::Url;

/// Builds the client for `url`'s bucket: the environment first, then `options` (keys as `object_store` names
/// them: `aws_endpoint`, `aws_allow_http`, `aws_access_key_id` …).
pub(crate) fn client(url: &Url, options: &HashMap<String, String>) -> object_store::Result<Arc<dyn ObjectStore>> {
    let mut b = AmazonS3Builder::from_env().with_url(url.as_str());
    for (k, v) in options {
        if let Ok(key) = k.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
            b = b.with_config(key, v);
        } else if k.eq_ignore_ascii_case("allow_http") {
            b = b.with_allow_http(v == "true");
        }
    }
    Ok(Arc::new(b.build()?))
}

#[derive(Debug, Default)]
struct S3;

impl ObjectStoreFactory for S3 {
    fn parse_url_opts(
        &self,
        url: &Url,
        config: &StorageConfig,
    ) -> DeltaResult<(ObjectStoreRef, object_store::path::Path)> {
        let store = client(url, &config.raw).map_err(|e| DeltaTableError::generic(e.to_string()))?;
        let path =
            object_store::path::Path::from_url_path(url.path()).map_err(|e| DeltaTableError::generic(e.to_string()))?;
        Ok((store, path))
    }
}

impl LogStoreFactory for S3 {
    fn with_options(
        &self,
        prefixed: ObjectStoreRef,
        root: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(prefixed, root, location, options))
    }
}

/// Teaches delta-rs the `s3://` scheme (once per process).
pub(crate) fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(scheme) = Url::parse("s3://") {
            object_store_factories().insert(scheme.clone(), Arc::new(S3));
            logstore_factories().insert(scheme, Arc::new(S3));
        }
    });
}
