//! User passwords, stored only as Argon2id hashes (PHC strings with a random salt).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// Hashes a password with Argon2id and a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let hashed = SaltString::encode_b64(&bytes).and_then(|salt| {
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    });
    match hashed {
        Ok(hash) => hash,
        // Hashing only fails for parameters out of range, which the defaults are not.
        Err(err) => unreachable!("argon2 with default parameters failed: {err}"),
    }
}

/// Whether `password` matches a stored hash (constant-time comparison inside argon2).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("Passw0rd!");
        let b = hash_password("Passw0rd!");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password("Passw0rd!", &a));
        assert!(!verify_password("passw0rd!", &a));
        assert!(!verify_password("Passw0rd!", "not a hash"));
    }
}
