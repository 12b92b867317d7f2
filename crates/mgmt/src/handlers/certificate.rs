//! Certificate rules beyond the contract module: a `PUT` opens the uploaded PKCS#12 file (off the
//! async workers, before the write transaction), derives `subject`, `thumbprint` and
//! `expirationDate`, and seals the key material under the server secret; the file and its
//! password are dropped. Thumbprints are unique. A certificate that a backend
//! (`credentials.certificate`, `properties.serviceFabricCluster.clientCertificateThumbprint`) or
//! a policy (`<authentication-certificate thumbprint="…">` or `certificate-id="…"`) uses can be
//! neither deleted nor replaced by a file with another thumbprint (400, naming the users).

use crate::error::Failure;
use crate::extract::ListQuery;
use crate::handlers::policy::policies_using;
use crate::resource::{Place, Resource, decode_record};
use crate::state::AppState;
use tollgate_auth::pfx::parse_pfx;
use tollgate_auth::seal::Sealer;
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::backend::Backend;
use tollgate_contract::entity::certificate::{Certificate, Upload};
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::{Store, StoreError, Tx};

/// The policy statement that presents a certificate to the backend.
const POLICY_ELEMENT: &str = "authentication-certificate";

impl Resource for Certificate {
    /// "If-Match only when updating" (REFERENCE §11.2).
    const PUT_REPLACE_NEEDS_IF_MATCH: bool = true;
    /// "Add or update" in every version, the legacy ones included.
    const PUT_ADDS_OR_UPDATES: bool = true;

    async fn admit(state: &AppState, mut entity: Self) -> Result<Self, Failure> {
        let Some(upload) = entity.upload.take() else {
            tracing::error!("a certificate reached admission without its upload");
            return Err(Failure(ApiError::internal()));
        };
        let sealer = state.sealer().clone();
        // Key derivation runs up to a million iterations per part of the file: not on the
        // async workers.
        tokio::task::spawn_blocking(move || open_upload(&sealer, upload))
            .await
            .map_err(|err| {
                tracing::error!(%err, "opening an uploaded certificate failed");
                Failure(ApiError::internal())
            })?
            .map_err(Failure)
    }

    async fn check_write(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &mut Self,
        old: Option<&Self>,
    ) -> Result<(), Failure> {
        for record in tx.list(Self::KIND, "").await? {
            if record.id.eq_ignore_ascii_case(id) {
                continue;
            }
            let other: Certificate = decode_record(&record)?;
            if other.thumbprint.eq_ignore_ascii_case(&entity.thumbprint) {
                let message = format!(
                    "Certificate '{}' already holds this certificate (thumbprint {}); thumbprints are unique.",
                    record.id, other.thumbprint
                );
                return Err(ApiError::new(ErrorCode::NameAlreadyInUse, message).into());
            }
        }
        if let Some(old) = old.filter(|o| !o.thumbprint.eq_ignore_ascii_case(&entity.thumbprint)) {
            // References by id keep working; references by thumbprint would break.
            let users = users_of(tx, old, None).await?;
            refuse_if_used(
                id,
                &users,
                &format!(
                    "replaced by a certificate with another thumbprint ({} instead of {})",
                    entity.thumbprint, old.thumbprint
                ),
            )?;
        }
        Ok(())
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        let users = users_of(tx, entity, Some(id)).await?;
        refuse_if_used(id, &users, "deleted")
    }
}

/// Opens the file, derives the contract fields and seals the key material.
fn open_upload(sealer: &Sealer, upload: Upload) -> Result<Certificate, ApiError> {
    let parsed = parse_pfx(&upload.pfx, &upload.password).map_err(|err| {
        let (target, code) = if err.is_password() {
            ("password", "WrongPassword")
        } else {
            ("data", "InvalidCertificate")
        };
        ApiError::invalid_field(target, code, format!("{target} {err}"))
    })?;
    let key_material = sealer.seal(
        &Certificate::sealing_purpose(&parsed.thumbprint),
        parsed.key_material.to_pem().as_bytes(),
    );
    Ok(Certificate {
        subject: parsed.subject,
        thumbprint: parsed.thumbprint,
        expiration_date: parsed
            .not_after
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        key_material,
        upload: None,
    })
}

/// What uses `certificate`: backends and policies that name its thumbprint, and, given its `id`,
/// policies that name it by id. Each user is its relative URL and the field that names it.
async fn users_of(
    tx: &mut dyn Tx,
    certificate: &Certificate,
    id: Option<&str>,
) -> Result<Vec<String>, Failure> {
    let thumbprint = certificate.thumbprint.as_str();
    let mut users = Vec::new();
    for record in tx.list(Backend::KIND, "").await? {
        let backend: Backend = decode_record(&record)?;
        let listed = backend
            .credentials
            .as_ref()
            .and_then(|c| c.certificate.as_ref())
            .is_some_and(|certs| certs.iter().any(|c| c.eq_ignore_ascii_case(thumbprint)));
        if listed {
            users.push(format!("/backends/{} (credentials.certificate)", record.id));
        }
        let fabric = backend
            .service_fabric_cluster
            .as_ref()
            .and_then(|sf| sf.client_certificate_thumbprint.as_deref())
            .is_some_and(|t| t.eq_ignore_ascii_case(thumbprint));
        if fabric {
            users.push(format!(
                "/backends/{} (properties.serviceFabricCluster.clientCertificateThumbprint)",
                record.id
            ));
        }
    }
    // One read of the policies: those presenting it (by thumbprint or id) and those verifying
    // tokens with it (validate-jwt's <key certificate-id>).
    let presenting = format!("<{POLICY_ELEMENT}>");
    let policies = policies_using(tx, |document| {
        let root = document.root();
        let by_id =
            |element| id.is_some_and(|id| root.contains_reference(element, "certificate-id", id));
        let mut uses = Vec::new();
        if root.contains_reference(POLICY_ELEMENT, "thumbprint", thumbprint)
            || by_id(POLICY_ELEMENT)
        {
            uses.push(presenting.as_str());
        }
        if by_id("key") {
            uses.push("<validate-jwt> <key>");
        }
        (!uses.is_empty()).then_some(uses)
    })
    .await?;
    for (policy, uses) in policies {
        users.extend(uses.into_iter().map(|how| format!("{policy} ({how})")));
    }
    Ok(users)
}

fn refuse_if_used(id: &str, users: &[String], action: &str) -> Result<(), Failure> {
    if users.is_empty() {
        return Ok(());
    }
    let message = format!(
        "Certificate '{id}' cannot be {action}: it is used by {}. Remove those references first.",
        users.join(", ")
    );
    Err(ApiError::new(ErrorCode::ResourceReferenced, message).into())
}

/// The certificates of `instance` whose key material was sealed under another server secret than
/// `sealer`'s, with the key id that sealed each: this node cannot open them.
pub async fn sealed_under_other_secret(
    store: &dyn Store,
    instance: &str,
    sealer: &Sealer,
) -> Result<Vec<(String, String)>, StoreError> {
    let ours = sealer.key_id();
    let mut out = Vec::new();
    for record in store.list(instance, Certificate::KIND, "").await? {
        let Ok(certificate) = serde_json::from_str::<Certificate>(&record.body) else {
            out.push((record.id, "unreadable".to_owned()));
            continue;
        };
        let key_id = Sealer::sealed_key_id(&certificate.key_material)
            .unwrap_or_else(|| "unknown".to_owned());
        if key_id != ours {
            out.push((record.id, key_id));
        }
    }
    Ok(out)
}
