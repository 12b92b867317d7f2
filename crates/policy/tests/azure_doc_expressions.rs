//! Expressions from the Azure API Management documentation (the policy-expressions page and the
//! policy reference pages' examples) and written in their style: every one must be accepted as
//! a policy would be stored. Their values are tested in `src/csharp/tests.rs`.

use tollgate_policy::csharp::{parse_block, parse_expression};

const EXPRESSIONS: &[&str] = &[
    r#"Regex.Match(context.Response.Headers.GetValueOrDefault("Cache-Control",""), @"max-age=(?<maxAge>\d+)").Groups["maxAge"]?.Value"#,
    r#"context.Request.IpAddress"#,
    r#"context.Subscription.Id"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Subject"#,
    r#""Bearer " + (string)context.Variables["token"]"#,
    r#"((IResponse)context.Variables["tokenResponse"]).Body.As<JObject>()["access_token"].ToString()"#,
    r#"((IResponse)context.Variables["balance"]).StatusCode == 200"#,
    r#"context.Response.Body.As<JObject>(preserveContent: true).ToString()"#,
    r#"context.Request.Url.Query.GetValueOrDefault("version", "1")"#,
    r#"context.Variables.GetValueOrDefault<bool>("isMobile")"#,
    r#"context.Response.StatusCode >= 400"#,
    r#"context.Subscription?.Key ?? "anonymous""#,
    r#"context.Request.Body.As<string>(preserveContent: true)"#,
    r#"context.LastError.Message + context.LastError.Source + context.LastError.Reason + context.LastError.Scope + context.LastError.Section + context.LastError.Path + context.LastError.PolicyId"#,
    r#"context.Elapsed.TotalMilliseconds"#,
    r#"DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ")"#,
    r#"string.Join(",", DateTime.UtcNow, context.Deployment.ServiceName, context.RequestId, context.Request.IpAddress, context.Operation.Name)"#,
    r#"$"Bearer {(string)context.Variables["accessToken"]}""#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization","").Split(' ').Last()"#,
    r#"context.Request.OriginalUrl.ToString()"#,
    r#"context.Request.Url.Path + context.Api.Path + context.Operation.UrlTemplate + context.Operation.Method"#,
    r#"context.User.Groups.Select(g => g.Name).Contains("Administrators")"#,
    r#"String.Join(",", context.User.Groups.Select(g => g.Name))"#,
    r#"context.Request.MatchedParameters["id"]"#,
    r#""userprofile-" + context.Variables["enduserid"]"#,
    r#"((IResponse)context.Variables["userprofileresponse"]).Body.As<string>()"#,
    r#"context.Variables.GetValueOrDefault<IResponse>("response").Body.As<JObject>()"#,
    r#"JsonConvert.SerializeObject(context.Variables["x"])"#,
    r#"JsonConvert.DeserializeObject<JObject>("{}")"#,
    r#"context.Deployment.Region"#,
    r#"context.Request.Url.Query.ContainsKey("debug")"#,
    r#"context.Request.Url.Host + context.Request.Url.Port + context.Request.Url.Scheme"#,
    r#"context.Api.Name + context.Api.Id + context.Api.Version + context.Api.IsCurrentRevision + context.Api.Revision"#,
    r#"context.Product.Name + context.Product.Id + context.Product.State + context.Product.SubscriptionRequired"#,
    r#"context.User.Email + context.User.FirstName + context.User.LastName + context.User.Id + context.User.Note + context.User.RegistrationDate"#,
    r#"context.Subscription.Name + context.Subscription.PrimaryKey + context.Subscription.SecondaryKey + context.Subscription.StartDate + context.Subscription.EndDate + context.Subscription.CreatedDate"#,
    r#"context.Request.Headers.GetValueOrDefault("Accept","").Contains("application/json")"#,
    r#"context.Response.Headers.GetValueOrDefault("Content-Type","")"#,
    r#"(string)context.Variables.GetValueOrDefault("key","")"#,
    r#"context.Request.Body.As<JObject>(true)["name"]?.ToString()"#,
    r#"context.Request.Url.ToString()"#,
    r#"context.Request.Url.QueryString"#,
    r#"context.RequestId.ToString()"#,
    r#"context.Request.Method == "GET""#,
    r#"context.Response.StatusReason"#,
    r#"context.Request.Headers.GetValueOrDefault("Ocp-Apim-Subscription-Key")"#,
    r#"context.Request.Body.As<JObject>()["items"].Select(i => (string)i["id"]).ToArray()"#,
    r#"context.Request.Body.As<JArray>().Count"#,
    r#"((JArray)context.Request.Body.As<JObject>()["items"]).Count"#,
    r#"context.Request.Url.Query.GetValueOrDefault("q")"#,
    r#"context.Request.Headers.Where(h => h.Key.StartsWith("X-")).Count()"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization","").StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)"#,
    r#"context.Variables.ContainsKey("maxAge") ? int.Parse((string)context.Variables["maxAge"]) : 3600"#,
    r#"(int)context.Variables["count"] > 5"#,
    r#"context.Response.Body.As<JObject>().SelectToken("$.data[0].id").ToString()"#,
    r#"Convert.ToBase64String(Encoding.UTF8.GetBytes("user:pass"))"#,
    r#"context.Request.Headers["X-Forwarded-For"].FirstOrDefault()"#,
    r#"DateTime.UtcNow.AddMinutes(5).ToString("o")"#,
    r#"context.Timestamp.ToString("yyyy-MM-dd")"#,
    r#"context.User.Identities.Any(i => i.Provider == "Aad")"#,
    r#"context.Subscription.Key.Substring(0, 8)"#,
    r#"context.Request.Url.Path.TrimEnd('/').Split('/').Last()"#,
    r#"context.Request.Url.Path.ToLower().Contains("/admin")"#,
    r#"context.Api.ServiceUrl.Host"#,
    r#"context.Api.ServiceUrl.ToString()"#,
    r#"context.Api.SubscriptionKeyParameterNames.Header"#,
    r#"context.Operation.Id + context.Operation.Name"#,
    r#"context.Request.Headers.GetValueOrDefault("Content-Length", "0")"#,
    r#"long.Parse(context.Request.Headers.GetValueOrDefault("Content-Length", "0")) > 1024"#,
    r#"context.Variables.GetValueOrDefault<int>("retryCount", 0) < 3"#,
    r#"context.Response.Body.As<JObject>()["value"].Children().Count()"#,
    r#"context.Request.Body.As<JObject>().Properties().Select(p => p.Name).ToList()"#,
    r#"string.Format("{0}-{1}", context.Api.Name, context.Operation.Name)"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization", "").Replace("Bearer ", "")"#,
    r#"context.Response.Body.As<JObject>(preserveContent: true)["error"] != null"#,
    r#"((JObject)context.Variables["obj"]).Value<string>("name")"#,
    r#"context.Request.Body?.As<JObject>(true)"#,
    r#"context.Request.Url.Query.Any(q => q.Key == "x")"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization", "").Split(' ').Last().AsJwt().Claims.GetValueOrDefault("scp", "")"#,
    r#"((IResponse)context.Variables["tokenstate"]).Body.As<JObject>()["active"].Value<bool>() == false"#,
    r#"(bool)((IResponse)context.Variables["tokenstate"]).Body.As<JObject>()["active"] == false"#,
    r#"context.Variables.GetValueOrDefault<byte[]>("byteCertificate")"#,
    r#"$"token={(string)context.Variables["token"]}""#,
    r#"context.Request.Headers.GetValueOrDefault("User-Agent").Contains("iPad") || context.Request.Headers.GetValueOrDefault("User-Agent").Contains("iPhone")"#,
    r#"context.Product.Name.Equals("Starter")"#,
    r#""/api/" + context.Request.MatchedParameters["version"]"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Claims["scp"].Contains("read")"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization").AsBasic().UserId"#,
    r#"Guid.NewGuid().ToString("N")"#,
    r#"context.Request.Headers.GetValueOrDefault("X-Request-Id", Guid.NewGuid().ToString())"#,
    r#"context.Response.Body.As<JObject>(preserveContent: true).SelectToken("error.message")"#,
    r#"context.Request.Body.As<JObject>()["items"].ToObject<List<string>>()"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Claims.GetValueOrDefault("roles", "").Split(',').Contains("admin")"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Claims.GetValueOrDefault("exp", "0")"#,
    r#"context.Request.Url.Path.StartsWith("/v2", StringComparison.OrdinalIgnoreCase)"#,
    r#"int.Parse(context.Request.Url.Query.GetValueOrDefault("page", "1")) > 1"#,
    r#"context.User.Groups.Any(g => g.Id == "administrators")"#,
    r#"(context.Response.Headers.GetValueOrDefault("X-Cache", "") == "HIT").ToString()"#,
    r#"context.Response.Body.As<string>().Replace("http://internal", "https://external")"#,
    r#"context.Variables.GetValueOrDefault("customerId", "")"#,
    r#"string.IsNullOrEmpty(context.Request.Headers.GetValueOrDefault("X-Tenant"))"#,
    r#"String.IsNullOrWhiteSpace(context.Variables.GetValueOrDefault<string>("x"))"#,
    r#"context.Request.Headers.Keys.Contains("X-Debug")"#,
    r#"context.Request.Headers.Count"#,
    r#"context.Request.Url.Query.Count > 0"#,
    r#"context.Request.Headers.GetValueOrDefault("Date", DateTime.UtcNow.ToString("R"))"#,
    r#"DateTime.Parse(context.Request.Headers.GetValueOrDefault("If-Modified-Since")).AddDays(1) > DateTime.UtcNow"#,
    r#"(DateTime.UtcNow - context.Timestamp).TotalSeconds < 30"#,
    r#"context.Request.Body.As<JObject>(true)["items"].Where(i => (int)i["qty"] > 0).Count()"#,
    r#"context.Request.Body.As<JArray>(true).Select(x => x["id"].ToString()).ToList()"#,
    r#"((JArray)context.Request.Body.As<JObject>(true)["items"]).First["id"]"#,
    r#"context.Request.Headers.GetValueOrDefault("Authorization", "").TryParseJwt(out var jwt) && jwt.Claims.ContainsKey("sub")"#,
    r#"context.Api.Name.ToLowerInvariant().Replace(" ", "-")"#,
    r#"Math.Round(context.Elapsed.TotalMilliseconds, 2)"#,
    r#"context.Request.Url.Port == 443"#,
    r#"context.Request.OriginalUrl.Path"#,
    r#"default(string)"#,
    r#""abc1".Any(char.IsDigit)"#,
];

const BLOCKS: &[&str] = &[
    r#"var response = context.Response.Body.As<JObject>();
  foreach (var key in new [] {"minutely", "hourly", "daily", "flags"}) {
    response.Property(key).Remove();
  }
  return response.ToString();"#,
    r#"var jwt = context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt(); return jwt?.Claims.GetValueOrDefault("oid", "anonymous");"#,
    r#"context.Trace("x"); return true;"#,
    r#"var body = context.Request.Body.As<JObject>(true); body["id"] = context.RequestId.ToString(); return body.ToString();"#,
    r#"string[] value; if (context.Request.Headers.TryGetValue("Authorization", out value)) { if (value != null && value.Length > 0) { return Encoding.UTF8.GetString(Convert.FromBase64String(value[0])); } } return null;"#,
    r#"return new JObject( new JProperty("username","APIM Alert"), new JProperty("icon_emoji", ":ghost:"), new JProperty("text", String.Format("{0} {1}\nHost: {2}\n{3} {4}\n User: {5}", context.Request.Method, context.Request.Url.Path + context.Request.Url.QueryString, context.Request.Url.Host, context.Response.StatusCode, context.Response.StatusReason, context.User.Email ))).ToString();"#,
    r#"var requestLine = string.Format("{0} {1} HTTP/1.1\r\n", context.Request.Method, context.Request.Url.Path + context.Request.Url.QueryString);
    var body = context.Request.Body?.As<string>(true);
    if (body != null && body.Length > 1024) { body = body.Substring(0, 1024); }
    var headers = context.Request.Headers
                   .Where(h => h.Key != "Authorization" && h.Key != "Ocp-Apim-Subscription-Key")
                   .Select(h => string.Format("{0}: {1}", h.Key, String.Join(", ", h.Value)))
                   .ToArray<string>();
    var headerString = (headers.Any()) ? string.Join("\r\n", headers) + "\r\n" : string.Empty;
    return "request:"   + context.Variables["message-id"] + "\n" + requestLine + headerString + "\r\n" + body;"#,
    r#"var response = context.Response.Body.As<JObject>();
  var result = new JObject();
  foreach (var item in response["value"]) { }
  return result.ToString();"#,
    r#"JObject body = context.Request.Body.As<JObject>(); body.Add(new JProperty("added", true)); return body.ToString();"#,
    r#"foreach (var h in context.Request.Headers) { if (h.Key.StartsWith("X-")) { return h.Value[0]; } } return "";"#,
    r#"var jwt = context.Request.Headers["Authorization"][0].Split(' ')[1].AsJwt(); return jwt.ExpirationTime.HasValue && jwt.ExpirationTime.Value < DateTime.UtcNow;"#,
];

#[test]
fn documented_expressions_are_accepted() {
    let refused: Vec<String> = EXPRESSIONS
        .iter()
        .filter_map(|e| parse_expression(e).err().map(|err| format!("{e}: {err}")))
        .chain(
            BLOCKS
                .iter()
                .filter_map(|b| parse_block(b).err().map(|err| format!("{b}: {err}"))),
        )
        .collect();
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
    assert!(EXPRESSIONS.len() + BLOCKS.len() >= 120);
}
