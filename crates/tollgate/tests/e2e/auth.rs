//! SAS authentication and `/tenant/access` (REFERENCE §2, §14.2).

use crate::common::{Engine, KEY, SECONDARY_KEY, Server, V17, sas, signature, token};
use crate::on_both_engines;
use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

#[test]
fn the_tests_own_signature_matches_the_reference_vector() {
    let key =
        "pXeTVcmdbU9XxH6fPcPlq8Y9D9G3Cdo5Eh2nMSgKj/DWqeSFFXDdmpz5Trv+L2hQNM+nGa704Rf8Z22W9O1jdQ==";
    assert_eq!(
        signature(
            "53d7e14aee681a0034030003",
            "2014-08-04T22:03:00.0000000Z",
            key
        ),
        "jZpVO0S0oAy7QEiuefPUia9l2ijdkFjs2WvnbH68V6LSVEcjwBfyeG/YHdWQyT00LExwhkIrgXWIm3Sj2oYzzw=="
    );
}

on_both_engines!(
    tokens_are_verified,
    access_can_be_disabled_and_reenabled,
    regenerated_keys_take_effect_at_once
);

async fn tokens_are_verified(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/properties?{V17}");
    let later = Utc::now() + Duration::hours(1);
    let minute = Utc.timestamp_opt(later.timestamp() / 60 * 60, 0).unwrap();
    let compact_sig = signature("integration", &crate::common::round_trip(minute), KEY);
    let compact = format!(
        "SharedAccessSignature integration&{}&{compact_sig}",
        minute.format("%Y%m%d%H%M")
    );
    for (header, expected) in [
        (token(), 200),
        (sas("integration", SECONDARY_KEY, later), 200),
        (compact, 200),
        (String::new(), 401),
        ("Bearer abc".to_owned(), 401),
        (
            "SharedAccessSignature uid=integration&ex=garbage&sn=AAAA".to_owned(),
            401,
        ),
        (sas("someone-else", KEY, later), 401),
        (sas("integration", "wrong-key", later), 401),
        (
            sas("integration", KEY, Utc::now() - Duration::minutes(1)),
            401,
        ),
    ] {
        let r = s
            .send("GET", &path, None, &[("Authorization", &header)])
            .await;
        assert_eq!(r.status, expected, "{header:?}: {}", r.text);
        if expected == 401 {
            assert_eq!(r.error_code(), "Unauthorized");
            assert!(
                r.header("www-authenticate")
                    .unwrap()
                    .starts_with("SharedAccessSignature")
            );
        }
    }
    let log = s.log();
    assert!(
        !log.contains(KEY) && !log.contains(SECONDARY_KEY),
        "keys must never be logged"
    );
}

async fn access_can_be_disabled_and_reenabled(engine: Engine) {
    let s = Server::start(engine).await;
    let access = s.get(&format!("/tenant/access?{V17}")).await;
    assert_eq!(access.status, 200);
    assert_eq!(
        access.json(),
        json!({"id": "integration", "primaryKey": KEY, "secondaryKey": SECONDARY_KEY, "enabled": true})
    );
    let r = s
        .patch(
            &format!("/tenant/access?{V17}"),
            &json!({"enabled": false}),
            "\"AAAAAAAAAAA=\"",
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (412, "PreconditionFailed")
    );
    let r = s
        .send(
            "PATCH",
            &format!("/tenant/access?{V17}"),
            Some(r#"{"enabled":false}"#),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["If-Match".to_owned()])
    );
    assert_eq!(
        s.patch(
            &format!("/tenant/access?{V17}"),
            &json!({"enabled": false}),
            &access.etag()
        )
        .await
        .status,
        204
    );
    let refused = s.get(&format!("/properties?{V17}")).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (401, "ManagementApiDisabled")
    );
    let current = s.get(&format!("/tenant/access?{V17}")).await;
    assert_eq!(current.json()["enabled"], false);
    assert_eq!(
        s.patch(
            &format!("/tenant/access?{V17}"),
            &json!({"enabled": true}),
            "*"
        )
        .await
        .status,
        204
    );
    assert_eq!(s.get(&format!("/properties?{V17}")).await.status, 200);
}

async fn regenerated_keys_take_effect_at_once(engine: Engine) {
    let s = Server::start(engine).await;
    let old = token();
    let r = s
        .send(
            "POST",
            &format!("/tenant/access/regeneratePrimaryKey?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    let refused = s
        .send(
            "GET",
            &format!("/properties?{V17}"),
            None,
            &[("Authorization", &old)],
        )
        .await;
    assert_eq!(
        refused.status, 401,
        "a token signed with the replaced key stops working at once"
    );
    let by_secondary = sas(
        "integration",
        SECONDARY_KEY,
        Utc::now() + Duration::hours(1),
    );
    let access = s
        .send(
            "GET",
            &format!("/tenant/access?{V17}"),
            None,
            &[("Authorization", &by_secondary)],
        )
        .await
        .json();
    let new_key = access["primaryKey"].as_str().unwrap().to_owned();
    assert_ne!(new_key, KEY);
    assert_eq!(new_key.len(), 88, "64 random bytes in base64");
    let fresh = sas("integration", &new_key, Utc::now() + Duration::hours(1));
    assert_eq!(
        s.send(
            "GET",
            &format!("/properties?{V17}"),
            None,
            &[("Authorization", &fresh)]
        )
        .await
        .status,
        200
    );
    let r = s
        .send(
            "POST",
            &format!("/tenant/access/regenerateSecondaryKey?{V17}"),
            None,
            &[("Authorization", &fresh)],
        )
        .await;
    assert_eq!(r.status, 204);
    let r = s
        .send(
            "GET",
            &format!("/properties?{V17}"),
            None,
            &[("Authorization", &by_secondary)],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(!s.log().contains(&new_key), "keys must never be logged");
}
