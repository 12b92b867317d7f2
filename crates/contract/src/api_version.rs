//! The `api-version` query parameter and what each version changes.

use std::fmt;

/// A supported `api-version`, ordered from oldest to newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    /// `2014-02-14-preview`: the initial public release.
    V2014_02_14Preview,
    /// `2014-02-14`.
    V2014_02_14,
    /// `2015-09-15`.
    V2015_09_15,
    /// `2016-07-07`.
    V2016_07_07,
    /// `2016-10-10`: PUT becomes create-or-update; Backend gains `url`, `protocol`, credentials.
    V2016_10_10,
    /// `2017-03-01`: PUT answers 201/200 with the entity; policies move to `/policies/policy`.
    V2017_03_01,
}

impl ApiVersion {
    /// Every supported version, oldest first.
    pub const ALL: [ApiVersion; 6] = [
        ApiVersion::V2014_02_14Preview,
        ApiVersion::V2014_02_14,
        ApiVersion::V2015_09_15,
        ApiVersion::V2016_07_07,
        ApiVersion::V2016_10_10,
        ApiVersion::V2017_03_01,
    ];

    /// The newest supported version.
    pub const LATEST: ApiVersion = ApiVersion::V2017_03_01;

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2014_02_14Preview => "2014-02-14-preview",
            ApiVersion::V2014_02_14 => "2014-02-14",
            ApiVersion::V2015_09_15 => "2015-09-15",
            ApiVersion::V2016_07_07 => "2016-07-07",
            ApiVersion::V2016_10_10 => "2016-10-10",
            ApiVersion::V2017_03_01 => "2017-03-01",
        }
    }

    /// Parses the wire spelling exactly (versions are case-sensitive dates).
    pub fn parse(text: &str) -> Option<ApiVersion> {
        ApiVersion::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// The supported versions as a comma-separated list, for error messages.
    pub fn supported_list() -> String {
        ApiVersion::ALL.map(ApiVersion::as_str).join(", ")
    }

    /// Whether `PUT` on an existing entity replaces it (from 2016-10-10) rather than failing with 409.
    pub fn put_upserts(self) -> bool {
        self >= ApiVersion::V2016_10_10
    }

    /// Whether `PUT` answers with the entity in the body (201 created / 200 replaced), as 2017-03-01 does.
    pub fn put_returns_entity(self) -> bool {
        self >= ApiVersion::V2017_03_01
    }

    /// Whether collections spell a missing next page as `"nextLink": null` (legacy) rather than omitting it.
    pub fn null_next_link(self) -> bool {
        self < ApiVersion::V2016_07_07
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_supported_version_and_nothing_else() {
        for v in ApiVersion::ALL {
            assert_eq!(ApiVersion::parse(v.as_str()), Some(v));
        }
        assert_eq!(ApiVersion::parse("2017-03-02"), None);
        assert_eq!(ApiVersion::parse("2014-02-14-PREVIEW"), None);
        assert_eq!(ApiVersion::parse(""), None);
    }

    #[test]
    fn versions_are_ordered_and_select_put_semantics() {
        assert!(ApiVersion::V2014_02_14Preview < ApiVersion::V2017_03_01);
        assert!(!ApiVersion::V2016_07_07.put_upserts());
        assert!(ApiVersion::V2016_10_10.put_upserts());
        assert!(!ApiVersion::V2016_10_10.put_returns_entity());
        assert!(ApiVersion::V2017_03_01.put_returns_entity());
    }
}
