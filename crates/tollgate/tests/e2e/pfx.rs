//! PKCS#12 files for the tests, made at test time by the `openssl` command line (OpenSSL 3, with
//! its legacy provider for the RC2 and 3DES variants): no private key is checked in.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::path::Path;
use std::process::Command;

/// The key of a test certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// RSA, 2048 bits.
    Rsa,
    /// EC on P-256.
    Ec,
}

/// How the file is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// OpenSSL 3's default: PBES2 (PBKDF2, AES-256-CBC) for key and certificates, SHA-256 MAC.
    Modern,
    /// `-legacy`, as Windows exports: 3DES for the key, 40-bit RC2 for the certificates, SHA-1 MAC.
    Windows,
    /// 3DES for key and certificates, SHA-1 MAC.
    TripleDes,
    /// 40-bit RC2 for key and certificates, SHA-1 MAC.
    Rc2,
}

/// What to make.
#[derive(Debug, Clone)]
pub struct Spec {
    pub key: Key,
    /// `-subj` form: `/C=US/O=Contoso/CN=api.contoso.com`.
    pub subject: String,
    /// `notAfter` as `YYYYMMDDHHMMSSZ`; `None` for 365 days from now.
    pub not_after: Option<String>,
    pub protection: Protection,
    pub password: String,
    /// Whether the private key goes into the file (`false`: `-nokeys`).
    pub with_key: bool,
}

impl Spec {
    /// A modern RSA file for `CN={cn}` with the password `pw`.
    pub fn new(cn: &str) -> Spec {
        Spec {
            key: Key::Rsa,
            subject: format!("/CN={cn}"),
            not_after: None,
            protection: Protection::Modern,
            password: "pw".to_owned(),
            with_key: true,
        }
    }
}

/// A made file.
#[derive(Debug, Clone)]
pub struct Pfx {
    /// The file.
    pub der: Vec<u8>,
    /// The certificate's SHA-1 fingerprint as openssl prints it, colons removed.
    pub thumbprint: String,
    /// The certificate's `notAfter` as openssl prints it (`Jan 12 00:00:00 2019 GMT`).
    pub not_after: String,
    /// The private key, PEM (PKCS#8).
    pub key_pem: String,
    /// The private key, DER (PKCS#8).
    pub key_der: Vec<u8>,
}

impl Pfx {
    /// The file in base64, as `data`.
    pub fn data(&self) -> String {
        BASE64.encode(&self.der)
    }
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the tests need the openssl command line (Debian: apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A minimal `openssl ca` configuration: signs with exact dates and keeps the subject as given.
const CA_CONFIG: &str = "\
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any_subject
preserve = yes
unique_subject = no
email_in_dn = yes
[any_subject]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
emailAddress = optional
";

/// Makes a self-signed certificate and its PKCS#12 file.
pub fn make(spec: &Spec) -> Pfx {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keygen: &[&str] = match spec.key {
        Key::Rsa => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        Key::Ec => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    };
    openssl(d, &[&["genpkey", "-out", "key.pem"], keygen].concat());
    match &spec.not_after {
        None => {
            openssl(
                d,
                &[
                    "req",
                    "-new",
                    "-x509",
                    "-key",
                    "key.pem",
                    "-subj",
                    &spec.subject,
                    "-days",
                    "365",
                    "-out",
                    "cert.pem",
                ],
            );
        }
        Some(end) => {
            std::fs::write(d.join("ca.cnf"), CA_CONFIG).unwrap();
            std::fs::write(d.join("index.txt"), "").unwrap();
            std::fs::write(d.join("serial"), "01\n").unwrap();
            openssl(
                d,
                &[
                    "req",
                    "-new",
                    "-key",
                    "key.pem",
                    "-subj",
                    &spec.subject,
                    "-out",
                    "req.csr",
                ],
            );
            openssl(
                d,
                &[
                    "ca",
                    "-batch",
                    "-config",
                    "ca.cnf",
                    "-selfsign",
                    "-keyfile",
                    "key.pem",
                    "-in",
                    "req.csr",
                    "-out",
                    "cert.pem",
                    "-notext",
                    "-startdate",
                    "20000101000000Z",
                    "-enddate",
                    end,
                ],
            );
        }
    }
    let protection: &[&str] = match spec.protection {
        Protection::Modern => &[],
        Protection::Windows => &["-legacy"],
        Protection::TripleDes => &[
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ],
        Protection::Rc2 => &[
            "-legacy",
            "-keypbe",
            "PBE-SHA1-RC2-40",
            "-certpbe",
            "PBE-SHA1-RC2-40",
        ],
    };
    let password = format!("pass:{}", spec.password);
    let key: &[&str] = if spec.with_key {
        &["-inkey", "key.pem"]
    } else {
        &["-nokeys"]
    };
    openssl(
        d,
        &[
            &[
                "pkcs12", "-export", "-in", "cert.pem", "-out", "out.pfx", "-passout", &password,
            ],
            key,
            protection,
        ]
        .concat(),
    );
    let fingerprint = openssl(
        d,
        &["x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha1"],
    );
    let thumbprint = fingerprint
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "");
    let end = openssl(d, &["x509", "-in", "cert.pem", "-noout", "-enddate"]);
    openssl(
        d,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der",
        ],
    );
    Pfx {
        der: std::fs::read(d.join("out.pfx")).unwrap(),
        thumbprint,
        not_after: end.trim().trim_start_matches("notAfter=").to_owned(),
        key_pem: std::fs::read_to_string(d.join("key.pem")).unwrap(),
        key_der: std::fs::read(d.join("key.der")).unwrap(),
    }
}

/// The `-subj` and `-enddate` that make a certificate with the contract's `subject` (a plain
/// `CN=…`, as in the examples) and `expirationDate` (`2019-01-12T08:00:00Z`).
pub fn spec_for(subject: &str, expiration_date: &str) -> Spec {
    let digits: String = expiration_date
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    Spec {
        subject: format!("/{subject}"),
        not_after: Some(format!("{digits}Z")),
        ..Spec::new("unused")
    }
}
