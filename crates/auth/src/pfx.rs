//! PKCS#12 (`.pfx`) files, as uploaded to `/certificates`: open one with its password, pick the
//! private key and the certificate it belongs to, and derive what the contract shows (`subject`,
//! `thumbprint`, `expirationDate`).
//!
//! Parsing is `p12-keystore`'s: modern files (PBES2 with AES-256-CBC and PBKDF2, SHA-256 MAC, as
//! OpenSSL 3 writes them) and legacy ones (3DES and 40-bit RC2 with SHA-1 MACs, as Windows exports
//! them). Its limits (at most 1,000,000 KDF or MAC iterations) bound the work an upload can cause.
//! The `p12` crate is not used: it panics on SHA-256 MACs.
//!
//! The file must hold exactly one private key, RSA or EC, and a certificate for it (matched by the
//! `localKeyId` attribute, else by public key); when the key carries its public part (RSA always,
//! EC as OpenSSL and Windows write it) it must be the certificate's. Other certificates in the file
//! become the chain when they issue the leaf (or each other); the rest are dropped.

use chrono::{DateTime, Utc};
use p12_keystore::error::Error as P12Error;
use p12_keystore::{Pkcs12Archive, PrivateKeyBag};
use sha1::{Digest, Sha1};
use std::fmt;
use x509_parser::asn1_rs::{Class, Tag};
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::ber::BerObject;
use x509_parser::der_parser::parse_der;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// What the contract shows of an uploaded certificate, with the key material to seal.
#[derive(Debug)]
pub struct ParsedPfx {
    /// The leaf certificate's subject, written as Windows writes it (`CN=api.contoso.com, O=Contoso, C=US`).
    pub subject: String,
    /// SHA-1 of the leaf certificate's DER encoding, upper-case hexadecimal (40 characters).
    pub thumbprint: String,
    /// The leaf certificate's `notAfter`.
    pub not_after: DateTime<Utc>,
    /// The private key and the certificate chain.
    pub key_material: KeyMaterial,
}

/// A private key and its certificate chain: what the gateway needs to present the certificate.
/// `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    /// The private key, PKCS#8 DER.
    pub private_key: Vec<u8>,
    /// The certificates, DER, the leaf first and then each issuer found in the file.
    pub chain: Vec<Vec<u8>>,
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("private_key", &"<redacted>")
            .field("chain", &self.chain.len())
            .finish()
    }
}

const PEM_KEY: &str = "PRIVATE KEY";
const PEM_CERTIFICATE: &str = "CERTIFICATE";

impl KeyMaterial {
    /// PEM text: the `PRIVATE KEY` block, then one `CERTIFICATE` block per chain entry.
    pub fn to_pem(&self) -> String {
        let mut out = pem_block(PEM_KEY, &self.private_key);
        for cert in &self.chain {
            out.push_str(&pem_block(PEM_CERTIFICATE, cert));
        }
        out
    }

    /// Reads what [`KeyMaterial::to_pem`] wrote; `None` if it is not that shape.
    pub fn from_pem(text: &str) -> Option<KeyMaterial> {
        use base64::Engine;
        let mut blocks = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let label = line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")?;
            let end = format!("-----END {label}-----");
            let mut body = String::new();
            loop {
                let line = lines.next()?;
                if line == end {
                    break;
                }
                body.push_str(line.trim());
            }
            let der = base64::engine::general_purpose::STANDARD
                .decode(body)
                .ok()?;
            blocks.push((label.to_owned(), der));
        }
        let mut blocks = blocks.into_iter();
        let (label, private_key) = blocks.next()?;
        if label != PEM_KEY {
            return None;
        }
        let chain: Option<Vec<Vec<u8>>> = blocks
            .map(|(label, der)| (label == PEM_CERTIFICATE).then_some(der))
            .collect();
        let chain = chain.filter(|c| !c.is_empty())?;
        Some(KeyMaterial { private_key, chain })
    }
}

fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Why a file was refused. Messages never contain the password or key material; they read as
/// the continuation of "data …" or "password …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PfxError {
    /// The bytes are not a PKCS#12 structure (or a part of it does not decode).
    #[error("is not a PKCS#12 (.pfx) file: {0}")]
    Malformed(String),
    /// The integrity check (MAC) fails, or, in a file without one, decryption fails.
    #[error("does not open the file: the file's integrity check fails with this password")]
    WrongPassword,
    /// The file uses a scheme the parser does not support.
    #[error("uses {0}, which is not supported")]
    Unsupported(String),
    /// The file holds certificates only.
    #[error("holds no private key: export the certificate together with its private key")]
    NoPrivateKey,
    /// More than one private key: which one to use would be a guess.
    #[error("holds {0} private keys; exactly one is expected")]
    SeveralPrivateKeys(usize),
    /// The private key is not RSA or EC.
    #[error("holds a private key of type {0}; RSA and EC keys are supported")]
    UnsupportedKey(String),
    /// No certificate belongs to the private key.
    #[error("holds no certificate for its private key")]
    NoCertificate,
    /// The certificate paired with the key (by `localKeyId`, or as the only one) has another
    /// public key.
    #[error("holds a private key that does not belong to its certificate ({0})")]
    KeyMismatch(String),
    /// A certificate does not parse as X.509.
    #[error("holds a certificate that is not valid X.509: {0}")]
    BadCertificate(String),
}

impl PfxError {
    /// Whether the request's `password` (rather than its `data`) is what is wrong.
    pub fn is_password(&self) -> bool {
        matches!(self, PfxError::WrongPassword)
    }
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";

/// Opens a PKCS#12 file with `password` and derives the certificate's contract fields.
pub fn parse_pfx(der: &[u8], password: &str) -> Result<ParsedPfx, PfxError> {
    let has_mac = outer_has_mac(der)?;
    let archive =
        Pkcs12Archive::from_pkcs12(der, password).map_err(|e| archive_error(e, has_mac))?;
    let key = match archive.keys.as_slice() {
        [] => return Err(PfxError::NoPrivateKey),
        [key] => key,
        keys => return Err(PfxError::SeveralPrivateKeys(keys.len())),
    };
    let key_public = key_public_part(key)?;
    let mut certs = Vec::with_capacity(archive.certs.len());
    for bag in &archive.certs {
        let der = bag.cert.as_der();
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| PfxError::BadCertificate(e.to_string()))?;
        certs.push(CertBag {
            local_key_id: bag.local_key_id.as_deref(),
            der,
            cert,
        });
    }
    let key_id = key.local_key_id.as_ref().map(|id| id.as_ref());
    let by_id = certs
        .iter()
        .position(|c| key_id.is_some() && c.local_key_id == key_id);
    let by_key = || {
        certs.iter().position(|c| {
            key_public
                .as_ref()
                .is_some_and(|k| k.matches(&c.cert) == Some(true))
        })
    };
    let only = || (certs.len() == 1).then_some(0);
    let leaf = by_id
        .or_else(by_key)
        .or_else(only)
        .ok_or(PfxError::NoCertificate)?;
    let CertBag {
        der: leaf_der,
        cert: leaf_cert,
        ..
    } = &certs[leaf];
    if let Some(public) = &key_public
        && public.matches(leaf_cert) == Some(false)
    {
        return Err(PfxError::KeyMismatch(dotnet_name(leaf_cert.subject())));
    }
    let chain = chain_of(leaf, &certs);
    Ok(ParsedPfx {
        subject: dotnet_name(leaf_cert.subject()),
        thumbprint: thumbprint(leaf_der),
        not_after: DateTime::from_timestamp(leaf_cert.validity().not_after.timestamp(), 0)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
        key_material: KeyMaterial {
            private_key: key.key.as_der().to_vec(),
            chain,
        },
    })
}

/// SHA-1 of a certificate's DER encoding in upper-case hexadecimal, as Windows shows thumbprints.
pub fn thumbprint(der: &[u8]) -> String {
    Sha1::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// Whether the outer `PFX` sequence has its optional `macData` (RFC 7292: version, authSafe,
/// macData); also refuses bytes that are not a DER sequence at all.
fn outer_has_mac(der: &[u8]) -> Result<bool, PfxError> {
    let not_pfx = |what: &str| PfxError::Malformed(what.to_owned());
    let (rest, outer) = parse_der(der).map_err(|_| not_pfx("the bytes are not DER"))?;
    let items = outer
        .as_sequence()
        .map_err(|_| not_pfx("the outer structure is not a sequence"))?;
    if !rest.is_empty() {
        return Err(not_pfx("bytes follow the PFX structure"));
    }
    match items.len() {
        2 => Ok(false),
        3 => Ok(true),
        _ => Err(not_pfx(
            "the outer sequence is not version, authSafe, macData",
        )),
    }
}

fn archive_error(err: P12Error, has_mac: bool) -> PfxError {
    match err {
        P12Error::MacError(_) => PfxError::WrongPassword,
        // Without a MAC a wrong password shows only as failed decryption.
        P12Error::UnpadError | P12Error::Pkcs5Error(_) if !has_mac => PfxError::WrongPassword,
        P12Error::UnpadError => PfxError::Malformed("an encrypted part does not decrypt".into()),
        P12Error::Pkcs5Error(e) => PfxError::Malformed(format!("an encrypted part: {e}")),
        P12Error::UnsupportedEncryptionScheme => {
            PfxError::Unsupported("an encryption or MAC scheme".into())
        }
        P12Error::UnsupportedMacAlgorithm => PfxError::Unsupported("a MAC algorithm".into()),
        P12Error::UnsupportedContentType => {
            PfxError::Unsupported("public-key integrity or privacy mode".into())
        }
        P12Error::UnsupportedCertificateType => {
            PfxError::Unsupported("a certificate type other than X.509".into())
        }
        P12Error::InvalidParameters => PfxError::Malformed(
            "its parameters are invalid or beyond limits (at most 1,000,000 iterations)".into(),
        ),
        P12Error::X509Error(e) => PfxError::BadCertificate(e.to_string()),
        P12Error::InvalidPrivateKey => PfxError::Malformed("a private key does not decode".into()),
        P12Error::InvalidVersion => PfxError::Malformed("the version is not 3".into()),
        other => PfxError::Malformed(other.to_string()),
    }
}

/// The public part of a private key, when the key carries it.
enum KeyPublic {
    /// RSA modulus and public exponent (big-endian, leading zeros removed).
    Rsa(Vec<u8>, Vec<u8>),
    /// An EC key with its public point (SEC 1 encoding); `None` when the key omits it.
    Ec(Option<Vec<u8>>),
}

impl KeyPublic {
    /// Whether the certificate has this public key; `None` when it cannot be told.
    fn matches(&self, cert: &X509Certificate<'_>) -> Option<bool> {
        let parsed = cert.public_key().parsed().ok();
        match (self, parsed) {
            (KeyPublic::Rsa(n, e), Some(PublicKey::RSA(rsa))) => Some(
                unsigned(rsa.modulus) == n.as_slice() && unsigned(rsa.exponent) == e.as_slice(),
            ),
            (KeyPublic::Ec(Some(point)), Some(PublicKey::EC(ec))) => {
                // Compressed and uncompressed forms of one point differ in length: cannot tell.
                (ec.data().len() == point.len()).then(|| ec.data() == point.as_slice())
            }
            (KeyPublic::Ec(None), Some(PublicKey::EC(_))) => None,
            _ => Some(false),
        }
    }
}

/// A certificate's public key, as verifying a signature needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateKey {
    /// RSA: modulus and public exponent (big-endian, leading zeros removed).
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// EC: the public point's coordinates (big-endian).
    Ec {
        /// x.
        x: Vec<u8>,
        /// y.
        y: Vec<u8>,
    },
}

/// The public key of a certificate (DER); `None` for other key types, a compressed EC point,
/// or what is not a certificate.
pub fn certificate_key(der: &[u8]) -> Option<CertificateKey> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    match cert.public_key().parsed().ok()? {
        PublicKey::RSA(rsa) => Some(CertificateKey::Rsa {
            n: unsigned(rsa.modulus).to_vec(),
            e: unsigned(rsa.exponent).to_vec(),
        }),
        PublicKey::EC(ec) => {
            // SEC 1 uncompressed form: 0x04, x, y.
            let (&form, xy) = ec.data().split_first()?;
            if form != 4 || xy.is_empty() || xy.len() % 2 != 0 {
                return None;
            }
            let (x, y) = xy.split_at(xy.len() / 2);
            Some(CertificateKey::Ec {
                x: x.to_vec(),
                y: y.to_vec(),
            })
        }
        _ => None,
    }
}

fn unsigned(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[zeros..]
}

/// Reads the key's type and public part from its PKCS#8 encoding (RFC 5208: version,
/// algorithm, privateKey; inside, RSAPrivateKey of RFC 8017 or ECPrivateKey of RFC 5915).
fn key_public_part(bag: &PrivateKeyBag) -> Result<Option<KeyPublic>, PfxError> {
    let oid = bag.key.oid().to_string();
    let bad = |what: &str| PfxError::Malformed(format!("the private key: {what}"));
    let (_, info) = parse_der(bag.key.as_der()).map_err(|_| bad("not DER"))?;
    let info = info.as_sequence().map_err(|_| bad("not a sequence"))?;
    let inner = info
        .get(2)
        .and_then(|o| o.as_slice().ok())
        .ok_or_else(|| bad("no privateKey field"))?;
    let (_, inner) = parse_der(inner).map_err(|_| bad("the key is not DER"))?;
    let fields = inner.as_sequence().map_err(|_| bad("not a sequence"))?;
    match oid.as_str() {
        OID_RSA => {
            let int = |i: usize| -> Result<Vec<u8>, PfxError> {
                fields
                    .get(i)
                    .and_then(|o| o.as_slice().ok())
                    .map(|s| unsigned(s).to_vec())
                    .ok_or_else(|| bad("an RSA key without modulus or exponent"))
            };
            Ok(Some(KeyPublic::Rsa(int(1)?, int(2)?)))
        }
        OID_EC => Ok(Some(KeyPublic::Ec(ec_public_point(fields)))),
        other => Err(PfxError::UnsupportedKey(key_type_name(other))),
    }
}

/// The `[1] publicKey BIT STRING` of an ECPrivateKey, when present.
fn ec_public_point(fields: &[BerObject<'_>]) -> Option<Vec<u8>> {
    let tagged = fields
        .iter()
        .find(|o| o.header.class() == Class::ContextSpecific && o.header.tag() == Tag(1))?;
    let content = match tagged.as_tagged() {
        Ok((_, _, inner)) => inner.as_slice().ok()?.to_vec(),
        Err(_) => {
            let (_, inner) = parse_der(tagged.as_slice().ok()?).ok()?;
            inner.as_slice().ok()?.to_vec()
        }
    };
    Some(content)
}

fn key_type_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        _ => return oid.to_owned(),
    };
    format!("{name} ({oid})")
}

/// A certificate of the file, parsed.
struct CertBag<'a> {
    /// Its `localKeyId` attribute.
    local_key_id: Option<&'a [u8]>,
    /// Its DER encoding.
    der: &'a [u8],
    /// The parsed certificate.
    cert: X509Certificate<'a>,
}

/// The leaf, then the certificate that issued it, and so on while the file has it.
fn chain_of(leaf: usize, certs: &[CertBag<'_>]) -> Vec<Vec<u8>> {
    let mut order = vec![leaf];
    let mut current = leaf;
    loop {
        let cert = &certs[current].cert;
        if cert.issuer().as_raw() == cert.subject().as_raw() {
            break;
        }
        let issuer = certs.iter().enumerate().position(|(i, c)| {
            !order.contains(&i) && c.cert.subject().as_raw() == cert.issuer().as_raw()
        });
        match issuer {
            Some(i) => {
                order.push(i);
                current = i;
            }
            None => break,
        }
    }
    order.into_iter().map(|i| certs[i].der.to_vec()).collect()
}

/// A distinguished name as Windows (and .NET's `X509Certificate2.Subject`) writes it: the
/// relative names from the last to the first, separated by `, `; attributes of one relative name
/// joined by ` + `; Windows' short names (`S` for the state, `E` for the email address,
/// `OID.n.n.n` for names it has none for); a value that holds `,`, `+`, `=`, `"`, `<`, `>`, `#`,
/// `;`, a line break, or starts or ends with a space is put in double quotes, with `"` doubled.
pub fn dotnet_name(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(attribute_text)
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

fn attribute_text(attr: &AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type().to_id_string();
    let name = match oid.as_str() {
        "2.5.4.3" => "CN".to_owned(),
        "2.5.4.4" => "SN".to_owned(),
        "2.5.4.5" => "SERIALNUMBER".to_owned(),
        "2.5.4.6" => "C".to_owned(),
        "2.5.4.7" => "L".to_owned(),
        "2.5.4.8" => "S".to_owned(),
        "2.5.4.9" => "STREET".to_owned(),
        "2.5.4.10" => "O".to_owned(),
        "2.5.4.11" => "OU".to_owned(),
        "2.5.4.12" => "T".to_owned(),
        "2.5.4.17" => "PostalCode".to_owned(),
        "2.5.4.42" => "G".to_owned(),
        "2.5.4.43" => "I".to_owned(),
        "2.5.4.46" => "dnQualifier".to_owned(),
        "1.2.840.113549.1.9.1" => "E".to_owned(),
        "0.9.2342.19200300.100.1.1" => "UID".to_owned(),
        "0.9.2342.19200300.100.1.25" => "DC".to_owned(),
        other => format!("OID.{other}"),
    };
    format!("{name}={}", quoted(&attribute_value(attr)))
}

fn attribute_value(attr: &AttributeTypeAndValue<'_>) -> String {
    if let Ok(text) = attr.as_str() {
        return text.to_owned();
    }
    let value = attr.attr_value();
    let bytes = attr.as_slice();
    match value.tag() {
        // BMPString: UTF-16 big-endian.
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        // TeletexString and the like: read as Latin-1, as Windows does.
        Tag::TeletexString | Tag::VisibleString | Tag::GeneralString => {
            bytes.iter().map(|b| char::from(*b)).collect()
        }
        _ => {
            let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
            format!("#{hex}")
        }
    }
}

fn quoted(value: &str) -> String {
    let special = value.is_empty()
        || value.starts_with(' ')
        || value.ends_with(' ')
        || value.chars().any(|c| {
            matches!(
                c,
                ',' | '+' | '=' | '"' | '<' | '>' | '#' | ';' | '\n' | '\r'
            )
        });
    if special {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    //! The files are made by the `openssl` command line at test time (no key is checked in).
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn openssl(dir: &Path, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl command line is needed by these tests");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A self-signed certificate for a new key (`rsa` or `ec`), exported with `export` options.
    fn pfx(dir: &Path, key: &str, subject: &str, export: &[&str]) -> Vec<u8> {
        let keygen: &[&str] = match key {
            "rsa" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            _ => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        };
        openssl(dir, &[&["genpkey", "-out", "key.pem"], keygen].concat());
        openssl(
            dir,
            &[
                "req", "-new", "-x509", "-key", "key.pem", "-subj", subject, "-days", "30", "-out",
                "cert.pem",
            ],
        );
        openssl(
            dir,
            &[
                &[
                    "pkcs12",
                    "-export",
                    "-inkey",
                    "key.pem",
                    "-in",
                    "cert.pem",
                    "-out",
                    "out.pfx",
                    "-passout",
                    "pass:s3cret",
                ],
                export,
            ]
            .concat(),
        );
        std::fs::read(dir.join("out.pfx")).unwrap()
    }

    #[test]
    fn certificates_give_their_public_keys() {
        let dir = tempfile::tempdir().unwrap();
        pfx(dir.path(), "rsa", "/CN=rsa", &[]);
        let out = Command::new("openssl")
            .args(["x509", "-in", "cert.pem", "-noout", "-modulus"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let modulus = text.trim().strip_prefix("Modulus=").unwrap().to_lowercase();
        let Some(CertificateKey::Rsa { n, e }) = certificate_key(&cert_der(dir.path(), "cert.pem"))
        else {
            panic!("an RSA key")
        };
        let hex: String = n.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!((hex, e), (modulus, vec![1, 0, 1]));

        pfx(dir.path(), "ec", "/CN=ec", &[]);
        let Some(CertificateKey::Ec { x, y }) = certificate_key(&cert_der(dir.path(), "cert.pem"))
        else {
            panic!("an EC key")
        };
        assert_eq!((x.len(), y.len()), (32, 32), "P-256 coordinates");
        assert_eq!(certificate_key(b"not a certificate"), None);
    }

    fn cert_der(dir: &Path, pem: &str) -> Vec<u8> {
        openssl(
            dir,
            &["x509", "-in", pem, "-outform", "DER", "-out", "cert.der"],
        );
        std::fs::read(dir.join("cert.der")).unwrap()
    }

    #[test]
    fn reads_modern_legacy_rsa_and_ec_files() {
        let variants: &[(&str, &[&str])] = &[
            ("rsa", &[]),
            ("ec", &[]),
            ("rsa", &["-legacy"]),
            (
                "rsa",
                &[
                    "-keypbe",
                    "PBE-SHA1-3DES",
                    "-certpbe",
                    "PBE-SHA1-3DES",
                    "-macalg",
                    "sha1",
                ],
            ),
            (
                "ec",
                &[
                    "-legacy",
                    "-keypbe",
                    "PBE-SHA1-RC2-40",
                    "-certpbe",
                    "PBE-SHA1-RC2-40",
                ],
            ),
        ];
        for (key, export) in variants {
            let dir = tempfile::tempdir().unwrap();
            let der = pfx(
                dir.path(),
                key,
                "/C=US/O=Contoso/CN=api.contoso.com",
                export,
            );
            let parsed =
                parse_pfx(&der, "s3cret").unwrap_or_else(|e| panic!("{key} {export:?}: {e}"));
            assert_eq!(parsed.subject, "CN=api.contoso.com, O=Contoso, C=US");
            let cert = cert_der(dir.path(), "cert.pem");
            assert_eq!(parsed.thumbprint, thumbprint(&cert));
            assert_eq!(parsed.thumbprint.len(), 40);
            assert_eq!(parsed.key_material.chain, vec![cert]);
            let days = (parsed.not_after - Utc::now()).num_days();
            assert!((29..=30).contains(&days), "{days}");
            let pem = parsed.key_material.to_pem();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
            assert_eq!(KeyMaterial::from_pem(&pem), Some(parsed.key_material));
            assert_eq!(
                parse_pfx(&der, "wrong").unwrap_err(),
                PfxError::WrongPassword,
                "{key} {export:?}"
            );
        }
    }

    #[test]
    fn refuses_files_without_a_key_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let der = pfx(dir.path(), "ec", "/CN=x", &[]);
        openssl(
            dir.path(),
            &[
                "pkcs12",
                "-export",
                "-nokeys",
                "-in",
                "cert.pem",
                "-out",
                "nokey.pfx",
                "-passout",
                "pass:s3cret",
            ],
        );
        let nokey = std::fs::read(dir.path().join("nokey.pfx")).unwrap();
        assert_eq!(
            parse_pfx(&nokey, "s3cret").unwrap_err(),
            PfxError::NoPrivateKey
        );
        assert!(matches!(
            parse_pfx(b"not a pfx", "s3cret").unwrap_err(),
            PfxError::Malformed(_)
        ));
        assert!(matches!(
            parse_pfx(&der[..der.len() / 2], "s3cret").unwrap_err(),
            PfxError::Malformed(_)
        ));
        assert!(matches!(
            parse_pfx(&[], "").unwrap_err(),
            PfxError::Malformed(_)
        ));
        // Every truncation and many bit flips: refused, never a panic.
        for cut in (0..der.len()).step_by(7) {
            assert!(parse_pfx(&der[..cut], "s3cret").is_err());
        }
        for i in (0..der.len()).step_by(13) {
            let mut bad = der.clone();
            bad[i] ^= 0x5a;
            let _ = parse_pfx(&bad, "s3cret");
        }
    }

    #[test]
    fn picks_the_leaf_and_orders_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "ca.key",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "ca.key",
                "-subj",
                "/CN=Test CA",
                "-days",
                "30",
                "-out",
                "ca.pem",
            ],
        );
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "leaf.key",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-new",
                "-key",
                "leaf.key",
                "-subj",
                "/O=Contoso, Ltd/CN=leaf",
                "-out",
                "leaf.csr",
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "10",
                "-out",
                "leaf.pem",
            ],
        );
        // The CA first in the file, to show that order does not matter.
        openssl(
            d,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                "leaf.key",
                "-in",
                "leaf.pem",
                "-certfile",
                "ca.pem",
                "-out",
                "chain.pfx",
                "-passout",
                "pass:",
            ],
        );
        let der = std::fs::read(d.join("chain.pfx")).unwrap();
        let parsed = parse_pfx(&der, "").unwrap();
        assert_eq!(parsed.subject, "CN=leaf, O=\"Contoso, Ltd\"");
        let leaf = cert_der(d, "leaf.pem");
        let ca = cert_der(d, "ca.pem");
        assert_eq!(parsed.thumbprint, thumbprint(&leaf));
        assert_eq!(parsed.key_material.chain, vec![leaf, ca]);
        assert!((parsed.not_after - Utc::now()).num_days() < 11);
    }

    #[test]
    fn refuses_a_key_that_is_not_the_certificates() {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for key in ["rsa", "ec"] {
            pfx(d, key, "/CN=one", &[]);
            let cert = cert_der(d, "cert.pem");
            // openssl refuses to export a mismatched pair; p12-keystore writes one.
            let keygen: &[&str] = match key {
                "rsa" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                _ => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            };
            openssl(d, &[&["genpkey", "-out", "other.pem"], keygen].concat());
            openssl(
                d,
                &[
                    "pkcs8",
                    "-topk8",
                    "-nocrypt",
                    "-in",
                    "other.pem",
                    "-outform",
                    "DER",
                    "-out",
                    "other.der",
                ],
            );
            let other = std::fs::read(d.join("other.der")).unwrap();
            let chain = PrivateKeyChain::new(
                b"1".as_slice(),
                PrivateKey::from_der(&other).unwrap(),
                [Certificate::from_der(&cert).unwrap()],
            );
            let mut store = KeyStore::new();
            store.add_entry("one", KeyStoreEntry::PrivateKeyChain(chain));
            let der = store.writer("s3cret").write().unwrap();
            assert_eq!(
                parse_pfx(&der, "s3cret").unwrap_err(),
                PfxError::KeyMismatch("CN=one".into()),
                "{key}"
            );
        }
    }

    #[test]
    fn writes_names_as_windows_does() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        pfx(
            d,
            "ec",
            "/DC=com/DC=contoso/C=US/ST=WA/L=Redmond/OU=A+OU=B/CN= padded \"q\"/emailAddress=a@contoso.com",
            &[],
        );
        let der = cert_der(d, "cert.pem");
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(
            dotnet_name(cert.subject()),
            "E=a@contoso.com, CN=\" padded \"\"q\"\"\", OU=A + OU=B, L=Redmond, S=WA, C=US, DC=contoso, DC=com"
        );
    }
}
