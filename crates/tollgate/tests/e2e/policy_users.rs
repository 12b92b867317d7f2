//! What policies see of the caller: `context.User` (the subscription's user, with their groups
//! and identities) and `context.Product` (with its groups and APIs), loaded by the gateway and
//! following management writes on the next call.

use crate::common::{Engine, Server, V17};
use crate::gateway::{backend, call, shop};
use crate::on_both_engines;
use crate::policy_engine::put_policy;
use serde_json::{Value, json};

on_both_engines!(policies_see_the_user_and_the_product);

/// A global policy that answers every call with what it sees of the user and the product, one
/// member per line.
const SHOW_THE_CALLER: &str = r#"<policies><inbound>
  <return-response><set-status code="200" reason="OK" /><set-body>@{
    var user = context.User;
    if (user == null) { return "no user"; }
    return string.Join("\n", new string[] {
      user.Id, user.Email, user.FirstName, user.LastName, user.Note ?? "",
      user.RegistrationDate.ToString("yyyy-MM-ddTHH:mm:ss"),
      string.Join(",", user.Groups.Select(g => g.Id + "=" + g.Name)),
      string.Join(",", user.Identities.Select(i => i.Provider + ":" + i.Id)),
      context.Product.Name,
      string.Join(",", context.Product.Groups.Select(g => g.Name)),
      string.Join(",", context.Product.Apis.Select(a => a.Name + " /" + a.Path))
    });
  }</set-body></return-response>
</inbound><backend><forward-request /></backend></policies>"#;

/// What the policy shows of the caller with `key` (no key when empty), line by line.
async fn seen(s: &Server, key: &str) -> Vec<String> {
    let headers: &[(&str, &str)] = if key.is_empty() {
        &[]
    } else {
        &[("Ocp-Apim-Subscription-Key", key)]
    };
    let (status, body) = call(s, "GET", "/shop/items/1", headers, None).await;
    assert_eq!(status, 200, "{body}");
    let Value::String(text) = body else {
        panic!("not text: {body}")
    };
    text.split('\n').map(str::to_owned).collect()
}

async fn put(s: &Server, path: &str, body: Value) {
    let r = s.put(&format!("{path}?{V17}"), &body).await;
    assert!(
        matches!(r.status, 200 | 201),
        "{path}: {} {}",
        r.status,
        r.text
    );
}

async fn policies_see_the_user_and_the_product(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    put_policy(&s, "", SHOW_THE_CALLER).await;
    let r = s
        .patch(&format!("/users/ann?{V17}"), &json!({"note": "VIP"}), "*")
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let registered = s.get(&format!("/users/ann?{V17}")).await.json()["registrationDate"]
        .as_str()
        .unwrap()[..19]
        .to_owned();
    put(&s, "/groups/gold-club", json!({"name": "Gold Club"})).await;
    put(&s, "/groups/gold-club/users/ann", json!({})).await;
    put(&s, "/products/gold/groups/gold-club", json!({})).await;
    put(&s, "/products/gold/groups/guests", json!({})).await;
    let other = json!({"name": "Other", "path": "other", "serviceUrl": "http://other.example", "protocols": ["https"]});
    put(&s, "/apis/other", other).await;
    put(&s, "/products/gold/apis/other", json!({})).await;

    assert_eq!(
        seen(&s, &key).await,
        [
            "ann",
            "ann@contoso.com",
            "Ann",
            "Lee",
            "VIP",
            &registered,
            "developers=Developers,gold-club=Gold Club",
            "Basic:ann@contoso.com",
            "Gold",
            "Gold Club,Guests",
            "Shop /shop,Other /other",
        ]
    );

    // A change to the user, their groups or the product shows on the next call.
    let r = s
        .patch(
            &format!("/users/ann?{V17}"),
            &json!({"email": "ann@fabrikam.com", "firstName": "Anna"}),
            "*",
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = s
        .delete(&format!("/groups/gold-club/users/ann?{V17}"), "*")
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = s
        .delete(&format!("/products/gold/groups/guests?{V17}"), "*")
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let now = seen(&s, &key).await;
    assert_eq!(
        (&now[1], &now[2], &now[6], &now[7], &now[9]),
        (
            &"ann@fabrikam.com".to_owned(),
            &"Anna".to_owned(),
            &"developers=Developers".to_owned(),
            &"Basic:ann@fabrikam.com".to_owned(),
            &"Gold Club".to_owned()
        )
    );
    put(&s, "/groups/gold-club", json!({"name": "Platinum Club"})).await;
    assert_eq!(seen(&s, &key).await[9], "Platinum Club");

    // The built-in administrator is a user like any other.
    let subscription =
        json!({"userId": "/users/1", "productId": "/products/gold", "state": "active"});
    let created = s
        .put(&format!("/subscriptions/admin-gold?{V17}"), &subscription)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let admin_key = created.json()["primaryKey"].as_str().unwrap().to_owned();
    let admin = seen(&s, &admin_key).await;
    assert_eq!(
        (&admin[..4], &admin[6], &admin[7]),
        (
            &["1", "admin@tollgate.local", "Administrator", ""].map(str::to_owned)[..],
            &"administrators=Administrators".to_owned(),
            &"Azure:admin@tollgate.local".to_owned()
        )
    );

    // A call without a key has no user, as in Azure.
    put(
        &s,
        "/products/free",
        json!({"name": "Free", "state": "published", "subscriptionRequired": false}),
    )
    .await;
    put(&s, "/products/free/apis/shop", json!({})).await;
    assert_eq!(seen(&s, "").await, ["no user"]);
}
