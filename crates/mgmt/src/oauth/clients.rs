//! The registered clients: public clients (no secret, PKCE required), each with the redirect URIs
//! it may use, compared exactly.

/// Postman's callbacks for its OAuth2 helper (desktop and browser).
const POSTMAN_CALLBACKS: &[&str] = &[
    "https://oauth.pstmn.io/v1/callback",
    "https://oauth.pstmn.io/v1/browser-callback",
];

/// The back office's client: always registered.
pub const BACKOFFICE: &str = "tollgate-backoffice";
/// Swagger UI's client: not in production.
pub const SWAGGER: &str = "tollgate-swagger";
/// Postman's client: not in production.
pub const POSTMAN: &str = "tollgate-postman";

/// A redirect URI registered for a client by configuration (`--oauth-redirect CLIENT=URI`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The client id.
    pub client: String,
    /// The URI, compared exactly.
    pub uri: String,
}

impl std::str::FromStr for Redirect {
    type Err = String;

    fn from_str(text: &str) -> Result<Redirect, String> {
        let (client, uri) = text
            .split_once('=')
            .ok_or_else(|| format!("'{text}' is not CLIENT=URI"))?;
        if ![BACKOFFICE, SWAGGER, POSTMAN].contains(&client) {
            return Err(format!(
                "unknown OAuth2 client '{client}': use {BACKOFFICE}, {SWAGGER} or {POSTMAN}"
            ));
        }
        let absolute = uri.starts_with("https://") || uri.starts_with("http://");
        if !absolute || uri.contains('#') {
            return Err(format!(
                "redirect URI '{uri}' must be an absolute http(s) URL without a fragment"
            ));
        }
        Ok(Redirect {
            client: client.to_owned(),
            uri: uri.to_owned(),
        })
    }
}

/// How the authorization server is set up.
#[derive(Debug, Clone, Default)]
pub struct OAuthSettings {
    /// Production mode: only the back office's client is registered.
    pub production: bool,
    /// Redirect URIs added by configuration.
    pub redirects: Vec<Redirect>,
}

impl OAuthSettings {
    /// Whether `client` is registered in this mode.
    pub fn knows(&self, client: &str) -> bool {
        client == BACKOFFICE || (!self.production && (client == SWAGGER || client == POSTMAN))
    }

    /// Whether `uri` is one of `client`'s redirect URIs (`issuer` is this server's URL, for
    /// Swagger UI's own redirect page).
    pub fn allows(&self, client: &str, uri: &str, issuer: &str) -> bool {
        if !self.knows(client) {
            return false;
        }
        let built_in = match client {
            SWAGGER => uri == format!("{issuer}/swagger/oauth2-redirect.html"),
            POSTMAN => POSTMAN_CALLBACKS.contains(&uri),
            _ => false,
        };
        built_in
            || self
                .redirects
                .iter()
                .any(|r| r.client == client && r.uri == uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_match_exactly_per_client_and_mode() {
        let mut settings = OAuthSettings {
            production: false,
            redirects: vec![
                "tollgate-backoffice=https://office.example/cb"
                    .parse()
                    .unwrap(),
            ],
        };
        let issuer = "http://127.0.0.1:8281";
        assert!(settings.allows(BACKOFFICE, "https://office.example/cb", issuer));
        assert!(!settings.allows(BACKOFFICE, "https://office.example/cb/", issuer));
        assert!(!settings.allows(SWAGGER, "https://office.example/cb", issuer));
        assert!(settings.allows(
            SWAGGER,
            "http://127.0.0.1:8281/swagger/oauth2-redirect.html",
            issuer
        ));
        assert!(settings.allows(POSTMAN, "https://oauth.pstmn.io/v1/callback", issuer));
        settings.production = true;
        assert!(!settings.knows(SWAGGER) && !settings.knows(POSTMAN));
        assert!(settings.allows(BACKOFFICE, "https://office.example/cb", issuer));
        assert!("someone=https://x".parse::<Redirect>().is_err());
        assert!("tollgate-postman=ftp://x".parse::<Redirect>().is_err());
    }
}
