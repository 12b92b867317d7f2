//! Members of the `context` objects (REFERENCE §18.3) and of dictionaries.

use std::sync::Arc;

use super::budget::lookup;
use super::convert::cast;
use super::crypto::Obj;
use super::{Member, P, R, Registry, str_arg, t};
use crate::csharp::context::{Api, Context, Multi, Response, Url};
use crate::csharp::eval::Machine;
use crate::csharp::types::{Ctx, Type};
use crate::csharp::value::{ApiRef, CtxRef, Dict, ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

/// The table key of a context type.
pub(crate) fn key(c: Ctx) -> &'static str {
    match c {
        Ctx::Context => "ctx:Context",
        Ctx::Request => "ctx:Request",
        Ctx::Response => "ctx:Response",
        Ctx::Url => "ctx:Url",
        Ctx::Body => "ctx:Body",
        Ctx::Subscription => "ctx:Subscription",
        Ctx::User => "ctx:User",
        Ctx::Product => "ctx:Product",
        Ctx::Api => "ctx:Api",
        Ctx::Operation => "ctx:Operation",
        Ctx::Deployment => "ctx:Deployment",
        Ctx::LastError => "ctx:LastError",
        Ctx::Group => "ctx:Group",
        Ctx::Identity => "ctx:Identity",
        Ctx::KeyNames => "ctx:KeyNames",
    }
}

/// The response a receiver denotes: `context.Response`, or one held in a variable
/// (`(IResponse)context.Variables["r"]`).
fn response<'v>(ctx: &'v Context, receiver: &'v Value) -> Option<&'v Response> {
    match receiver {
        Value::Obj(o) => match &**o {
            Obj::Response(r) => Some(r),
            _ => None,
        },
        _ => ctx.response.as_ref(),
    }
}

fn which(a: &[Value]) -> Result<CtxRef, EvalError> {
    match a.first() {
        Some(Value::Ctx(r)) => Ok(*r),
        _ => super::null_ref(),
    }
}

fn s(v: &str) -> Value {
    Value::from(v)
}

/// A dictionary of names and values made for an expression, counting the copy.
fn multi(m: &mut Machine<'_>, names: &Multi) -> Res {
    m.scan(names.len() * std::mem::size_of::<(Arc<str>, Value)>())?;
    Ok(Value::Dict(Arc::new(crate::csharp::context::multi_dict(
        names,
    ))))
}

/// A string made for an expression (counted).
fn made(m: &mut Machine<'_>, s: String) -> Res {
    m.scan(s.len())?;
    m.string(s)
}

/// The API an `IApi` value, its `ServiceUrl` or its `SubscriptionKeyParameterNames` belongs to.
fn api_of<'c>(ctx: &'c Context, a: &[Value]) -> Result<&'c Api, EvalError> {
    let at = match which(a)? {
        CtxRef::Api(at) | CtxRef::ServiceUrl(at) | CtxRef::KeyNames(at) => at,
        _ => ApiRef::Call,
    };
    let api = match at {
        ApiRef::Call => Some(&ctx.api),
        ApiRef::Product(i) => ctx.product.as_ref().and_then(|p| p.apis.get(i)),
    };
    api.map_or_else(super::null_ref, Ok)
}

/// A part of the API `a[0]` is (`ServiceUrl`, `SubscriptionKeyParameterNames`).
fn api_part(a: &[Value], part: fn(ApiRef) -> CtxRef) -> Res {
    match which(a)? {
        CtxRef::Api(at) => Ok(Value::Ctx(part(at))),
        _ => super::null_ref(),
    }
}

fn url_of<'c>(ctx: &'c Context, a: &[Value]) -> Result<&'c Url, EvalError> {
    Ok(match which(a)? {
        CtxRef::OriginalUrl => &ctx.request.original_url,
        CtxRef::ServiceUrl(_) => &api_of(ctx, a)?.service_url,
        _ => &ctx.request.url,
    })
}

pub(crate) fn url_string(u: &Url) -> String {
    let default_port = (u.scheme == "https" && u.port == 443)
        || (u.scheme == "http" && u.port == 80)
        || u.port == 0;
    let port = if default_port {
        String::new()
    } else {
        format!(":{}", u.port)
    };
    format!(
        "{}://{}{}{}{}",
        u.scheme,
        u.host,
        port,
        u.path,
        query_string(u)
    )
}

pub(crate) fn query_string(u: &Url) -> String {
    let mut out = String::new();
    for (k, vs) in &u.query {
        for v in vs {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

fn ticks_opt(t: Option<i64>) -> Value {
    t.map_or(Value::Null, Value::DateTime)
}

fn group(ctx: &Context, r: CtxRef) -> Option<&crate::csharp::context::Group> {
    match r {
        CtxRef::UserGroup(i) => ctx.user.as_ref()?.groups.get(i),
        CtxRef::ProductGroup(i) => ctx.product.as_ref()?.groups.get(i),
        _ => None,
    }
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    v.map_or(Value::Null, f)
}

fn get_multi(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let Value::Dict(d) = &a[0] else {
        return super::null_ref();
    };
    let key = str_arg(&a[1])?;
    Ok(match lookup(m, d, &key)? {
        Some(Value::Array(vs)) if vs.len() == 1 => vs[0].clone(),
        Some(Value::Array(vs)) => {
            let parts: Vec<String> = vs.iter().map(|v| v.to_string()).collect();
            let size = parts.iter().map(|p| p.len() + 1).sum::<usize>();
            m.room(size)?;
            m.scan(size)?;
            m.string(parts.join(","))?
        }
        Some(v) => v.clone(),
        None => a.get(2).cloned().unwrap_or(Value::Null),
    })
}

fn get_value(m: &mut Machine<'_>, a: &mut [Value], g: Option<&Type>) -> Res {
    let Value::Dict(d) = &a[0] else {
        return super::null_ref();
    };
    let key = str_arg(&a[1])?;
    match lookup(m, d, &key)? {
        Some(v) => match g {
            Some(t) => cast(v.clone(), t),
            None => Ok(v.clone()),
        },
        None => Ok(a
            .get(2)
            .cloned()
            .unwrap_or_else(|| g.map_or(Value::Null, crate::csharp::check::default_value))),
    }
}

fn index(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let Value::Dict(d) = &a[0] else {
        return super::null_ref();
    };
    let key = str_arg(&a[1])?;
    lookup(m, d, &key)?.cloned().map_or_else(
        || {
            fail(
                ErrorKind::KeyNotFound,
                format!("the given key '{key}' was not present in the dictionary"),
            )
        },
        Ok,
    )
}

fn try_get(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let Value::Dict(d) = &a[0] else {
        return super::null_ref();
    };
    let key = str_arg(&a[1])?;
    let found = lookup(m, d, &key)?.cloned();
    let yes = found.is_some();
    a[2] = found.unwrap_or(Value::Null);
    Ok(Value::Bool(yes))
}

/// `Body.As<T>()`: the text, or for `JObject`/`JArray`/`JToken` the parsed JSON, for
/// `XElement`/`XDocument` the parsed XML.
fn body_as(m: &mut Machine<'_>, a: &mut [Value], g: Option<&Type>) -> Res {
    let text = match &a[0] {
        Value::Obj(o) => match &**o {
            Obj::Body(text) => Value::Str(text.clone()),
            _ => return super::null_ref(),
        },
        _ => body_text(m.ctx, which(a)?)?,
    };
    match (g, text) {
        (Some(Type::Json(k)), Value::Str(s)) => Ok(Value::Json(super::json::parse(m, &s, *k)?)),
        (Some(Type::Named(n @ ("XElement" | "XDocument"))), Value::Str(s)) => {
            super::xml::parse_value(m, &s, *n == "XDocument")
        }
        (_, text) => Ok(text),
    }
}

fn only_string(t: &Type) -> bool {
    *t == Type::String
}

pub(crate) fn register(r: &mut Registry) {
    let str_ = || Type::String;
    let ctx = Type::Ctx;
    const C: &str = "ctx:Context";
    r.prop(C, "Request", ctx(Ctx::Request), |_, _, _| {
        Ok(Value::Ctx(CtxRef::Request))
    });
    r.prop(C, "Response", ctx(Ctx::Response), |m, _, _| {
        Ok(opt(m.ctx.response.as_ref(), |_| {
            Value::Ctx(CtxRef::Response)
        }))
    });
    r.prop(C, "Subscription", ctx(Ctx::Subscription), |m, _, _| {
        Ok(opt(m.ctx.subscription.as_ref(), |_| {
            Value::Ctx(CtxRef::Subscription)
        }))
    });
    r.prop(C, "User", ctx(Ctx::User), |m, _, _| {
        Ok(opt(m.ctx.user.as_ref(), |_| Value::Ctx(CtxRef::User)))
    });
    r.prop(C, "Product", ctx(Ctx::Product), |m, _, _| {
        Ok(opt(m.ctx.product.as_ref(), |_| Value::Ctx(CtxRef::Product)))
    });
    r.prop(C, "Api", ctx(Ctx::Api), |_, _, _| {
        Ok(Value::Ctx(CtxRef::Api(ApiRef::Call)))
    });
    r.prop(C, "Operation", ctx(Ctx::Operation), |_, _, _| {
        Ok(Value::Ctx(CtxRef::Operation))
    });
    r.prop(C, "Deployment", ctx(Ctx::Deployment), |_, _, _| {
        Ok(Value::Ctx(CtxRef::Deployment))
    });
    r.prop(C, "LastError", ctx(Ctx::LastError), |m, _, _| {
        Ok(opt(m.ctx.last_error.as_ref(), |_| {
            Value::Ctx(CtxRef::LastError)
        }))
    });
    r.prop(
        C,
        "Variables",
        Type::Dict(Box::new(Type::Object)),
        |m, _, _| {
            let n = m.ctx.variables.len();
            m.scan(n * std::mem::size_of::<(Arc<str>, Value)>())?;
            m.step(n as u64)?;
            let mut entries: Vec<(Arc<str>, Value)> = m
                .ctx
                .variables
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), v.clone()))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(Value::Dict(Arc::new(Dict {
                entries,
                ignore_case: false,
            })))
        },
    );
    r.prop(C, "RequestId", Type::Guid, |m, _, _| {
        Ok(Value::Guid(m.ctx.request_id))
    });
    r.prop(C, "Timestamp", Type::DateTime, |m, _, _| {
        Ok(Value::DateTime(m.ctx.timestamp))
    });
    r.prop(C, "Elapsed", Type::TimeSpan, |m, _, _| {
        Ok(Value::TimeSpan(m.ctx.elapsed))
    });
    r.prop(C, "Tracing", Type::Bool, |m, _, _| {
        Ok(Value::Bool(m.ctx.tracing))
    });
    r.method(C, "Trace", vec![t(str_())], Type::Void, |_, _, _| {
        Ok(Value::Null)
    });

    const RQ: &str = "ctx:Request";
    r.prop(RQ, "Method", str_(), |m, _, _| Ok(s(&m.ctx.request.method)));
    r.prop(RQ, "Url", ctx(Ctx::Url), |_, _, _| {
        Ok(Value::Ctx(CtxRef::RequestUrl))
    });
    r.prop(RQ, "OriginalUrl", ctx(Ctx::Url), |_, _, _| {
        Ok(Value::Ctx(CtxRef::OriginalUrl))
    });
    r.prop(
        RQ,
        "Headers",
        Type::Dict(Box::new(Type::Array(Box::new(str_())))),
        |m, _, _| Ok(Value::Dict(m.ctx.request.headers.dict().clone())),
    );
    r.prop(RQ, "IpAddress", str_(), |m, _, _| {
        Ok(s(&m.ctx.request.ip_address))
    });
    r.prop(
        RQ,
        "MatchedParameters",
        Type::Dict(Box::new(str_())),
        |m, _, _| {
            let n = m.ctx.request.matched_parameters.len();
            m.scan(n * std::mem::size_of::<(Arc<str>, Value)>())?;
            let entries = m
                .ctx
                .request
                .matched_parameters
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), s(v)))
                .collect();
            Ok(Value::Dict(Arc::new(Dict {
                entries,
                ignore_case: true,
            })))
        },
    );
    r.prop(RQ, "Body", ctx(Ctx::Body), |m, _, _| {
        Ok(opt(m.ctx.request.body.as_ref(), |_| {
            Value::Ctx(CtxRef::RequestBody)
        }))
    });

    const RS: &str = "ctx:Response";
    r.prop(RS, "StatusCode", Type::Int, |m, a, _| {
        Ok(Value::Int(
            response(m.ctx, &a[0]).map_or(0, |r| r.status_code),
        ))
    });
    r.prop(RS, "StatusReason", str_(), |m, a, _| {
        Ok(opt(response(m.ctx, &a[0]), |r| s(&r.status_reason)))
    });
    r.prop(
        RS,
        "Headers",
        Type::Dict(Box::new(Type::Array(Box::new(str_())))),
        |m, a, _| {
            Ok(opt(response(m.ctx, &a[0]), |r| {
                Value::Dict(r.headers.dict().clone())
            }))
        },
    );
    r.prop(RS, "Body", ctx(Ctx::Body), |m, a, _| {
        let stored = matches!(a[0], Value::Obj(_));
        Ok(opt(
            response(m.ctx, &a[0]).and_then(|r| r.body.as_ref()),
            |text| match stored {
                true => Value::Obj(Arc::new(Obj::Body(text.clone()))),
                false => Value::Ctx(CtxRef::ResponseBody),
            },
        ))
    });

    r.add(
        "ctx:Body",
        Member {
            name: "As",
            property: false,
            params: vec![],
            ret: R::Gen,
            f: body_as,
            generic: true,
            mutates: false,
        },
    );
    r.add(
        "ctx:Body",
        Member {
            name: "As",
            property: false,
            params: vec![t(Type::Bool)],
            ret: R::Gen,
            f: body_as,
            generic: true,
            mutates: false,
        },
    );
    let _ = only_string;

    const U: &str = "ctx:Url";
    r.prop(U, "Scheme", str_(), |m, a, _| {
        Ok(s(&url_of(m.ctx, a)?.scheme))
    });
    r.prop(U, "Host", str_(), |m, a, _| Ok(s(&url_of(m.ctx, a)?.host)));
    r.prop(U, "Port", Type::Int, |m, a, _| {
        Ok(Value::Int(url_of(m.ctx, a)?.port))
    });
    r.prop(U, "Path", str_(), |m, a, _| Ok(s(&url_of(m.ctx, a)?.path)));
    r.prop(
        U,
        "Query",
        Type::Dict(Box::new(Type::Array(Box::new(str_())))),
        |m, a, _| {
            let ctx = m.ctx;
            multi(m, &url_of(ctx, a)?.query)
        },
    );
    r.prop(U, "QueryString", str_(), |m, a, _| {
        let s = query_string(url_of(m.ctx, a)?);
        made(m, s)
    });
    r.method(U, "ToString", vec![], str_(), |m, a, _| {
        let s = url_string(url_of(m.ctx, a)?);
        made(m, s)
    });

    const SU: &str = "ctx:Subscription";
    r.prop(SU, "Id", str_(), |m, _, _| {
        Ok(opt(m.ctx.subscription.as_ref(), |x| s(&x.id)))
    });
    r.prop(SU, "Name", str_(), |m, _, _| {
        Ok(opt(m.ctx.subscription.as_ref(), |x| s(&x.name)))
    });
    r.prop(SU, "Key", str_(), |m, _, _| {
        Ok(opt(m.ctx.subscription.as_ref(), |x| s(&x.key)))
    });
    r.prop(SU, "PrimaryKey", str_(), |m, _, _| {
        Ok(opt(m.ctx.subscription.as_ref(), |x| s(&x.primary_key)))
    });
    r.prop(SU, "SecondaryKey", str_(), |m, _, _| {
        Ok(opt(m.ctx.subscription.as_ref(), |x| s(&x.secondary_key)))
    });
    r.prop(SU, "CreatedDate", Type::DateTime, |m, _, _| {
        Ok(Value::DateTime(
            m.ctx.subscription.as_ref().map_or(0, |x| x.created_date),
        ))
    });
    let ndt = || Type::Nullable(Box::new(Type::DateTime));
    r.prop(SU, "StartDate", ndt(), |m, _, _| {
        Ok(ticks_opt(
            m.ctx.subscription.as_ref().and_then(|x| x.start_date),
        ))
    });
    r.prop(SU, "EndDate", ndt(), |m, _, _| {
        Ok(ticks_opt(
            m.ctx.subscription.as_ref().and_then(|x| x.end_date),
        ))
    });

    const US: &str = "ctx:User";
    r.prop(US, "Id", str_(), |m, _, _| {
        Ok(opt(m.ctx.user.as_ref(), |x| s(&x.id)))
    });
    r.prop(US, "Email", str_(), |m, _, _| {
        Ok(opt(m.ctx.user.as_ref(), |x| s(&x.email)))
    });
    r.prop(US, "FirstName", str_(), |m, _, _| {
        Ok(opt(m.ctx.user.as_ref(), |x| s(&x.first_name)))
    });
    r.prop(US, "LastName", str_(), |m, _, _| {
        Ok(opt(m.ctx.user.as_ref(), |x| s(&x.last_name)))
    });
    r.prop(US, "Note", str_(), |m, _, _| {
        Ok(opt(m.ctx.user.as_ref(), |x| s(&x.note)))
    });
    r.prop(US, "RegistrationDate", Type::DateTime, |m, _, _| {
        Ok(Value::DateTime(
            m.ctx.user.as_ref().map_or(0, |x| x.registration_date),
        ))
    });
    r.prop(
        US,
        "Groups",
        Type::Seq(Box::new(ctx(Ctx::Group))),
        |m, _, _| {
            let n = m.ctx.user.as_ref().map_or(0, |u| u.groups.len());
            m.array((0..n).map(|i| Value::Ctx(CtxRef::UserGroup(i))).collect())
        },
    );
    r.prop(
        US,
        "Identities",
        Type::Seq(Box::new(ctx(Ctx::Identity))),
        |m, _, _| {
            let n = m.ctx.user.as_ref().map_or(0, |u| u.identities.len());
            m.array((0..n).map(|i| Value::Ctx(CtxRef::Identity(i))).collect())
        },
    );
    r.prop("ctx:Group", "Id", str_(), |m, a, _| {
        Ok(opt(group(m.ctx, which(a)?), |g| s(&g.id)))
    });
    r.prop("ctx:Group", "Name", str_(), |m, a, _| {
        Ok(opt(group(m.ctx, which(a)?), |g| s(&g.name)))
    });
    r.prop("ctx:Identity", "Provider", str_(), |m, a, _| {
        let CtxRef::Identity(i) = which(a)? else {
            return super::null_ref();
        };
        Ok(opt(
            m.ctx.user.as_ref().and_then(|u| u.identities.get(i)),
            |x| s(&x.provider),
        ))
    });
    r.prop("ctx:Identity", "Id", str_(), |m, a, _| {
        let CtxRef::Identity(i) = which(a)? else {
            return super::null_ref();
        };
        Ok(opt(
            m.ctx.user.as_ref().and_then(|u| u.identities.get(i)),
            |x| s(&x.id),
        ))
    });

    const PR: &str = "ctx:Product";
    r.prop(PR, "Id", str_(), |m, _, _| {
        Ok(opt(m.ctx.product.as_ref(), |x| s(&x.id)))
    });
    r.prop(PR, "Name", str_(), |m, _, _| {
        Ok(opt(m.ctx.product.as_ref(), |x| s(&x.name)))
    });
    r.prop(PR, "State", str_(), |m, _, _| {
        Ok(opt(m.ctx.product.as_ref(), |x| s(&x.state)))
    });
    r.prop(PR, "ApprovalRequired", Type::Bool, |m, _, _| {
        Ok(Value::Bool(
            m.ctx.product.as_ref().is_some_and(|x| x.approval_required),
        ))
    });
    r.prop(PR, "SubscriptionRequired", Type::Bool, |m, _, _| {
        Ok(Value::Bool(
            m.ctx
                .product
                .as_ref()
                .is_some_and(|x| x.subscription_required),
        ))
    });
    r.prop(
        PR,
        "SubscriptionLimit",
        Type::Nullable(Box::new(Type::Int)),
        |m, _, _| {
            Ok(opt(
                m.ctx.product.as_ref().and_then(|x| x.subscription_limit),
                Value::Int,
            ))
        },
    );
    r.prop(
        PR,
        "Groups",
        Type::Seq(Box::new(ctx(Ctx::Group))),
        |m, _, _| {
            let n = m.ctx.product.as_ref().map_or(0, |p| p.groups.len());
            m.array(
                (0..n)
                    .map(|i| Value::Ctx(CtxRef::ProductGroup(i)))
                    .collect(),
            )
        },
    );
    r.prop(PR, "Apis", Type::Seq(Box::new(ctx(Ctx::Api))), |m, _, _| {
        let n = m.ctx.product.as_ref().map_or(0, |p| p.apis.len());
        m.array(
            (0..n)
                .map(|i| Value::Ctx(CtxRef::Api(ApiRef::Product(i))))
                .collect(),
        )
    });

    const AP: &str = "ctx:Api";
    r.prop(AP, "Id", str_(), |m, a, _| Ok(s(&api_of(m.ctx, a)?.id)));
    r.prop(AP, "Name", str_(), |m, a, _| Ok(s(&api_of(m.ctx, a)?.name)));
    r.prop(AP, "Path", str_(), |m, a, _| Ok(s(&api_of(m.ctx, a)?.path)));
    r.prop(AP, "ServiceUrl", ctx(Ctx::Url), |_, a, _| {
        api_part(a, CtxRef::ServiceUrl)
    });
    r.prop(AP, "Protocols", Type::Seq(Box::new(str_())), |m, a, _| {
        let items = api_of(m.ctx, a)?.protocols.iter().map(|p| s(p)).collect();
        m.array(items)
    });
    r.prop(
        AP,
        "SubscriptionKeyParameterNames",
        ctx(Ctx::KeyNames),
        |_, a, _| api_part(a, CtxRef::KeyNames),
    );
    r.prop(AP, "Revision", str_(), |m, a, _| {
        Ok(s(&api_of(m.ctx, a)?.revision))
    });
    r.prop(AP, "IsCurrentRevision", Type::Bool, |m, a, _| {
        Ok(Value::Bool(api_of(m.ctx, a)?.is_current_revision))
    });
    r.prop(AP, "Version", str_(), |m, a, _| {
        Ok(s(&api_of(m.ctx, a)?.version))
    });
    r.prop("ctx:KeyNames", "Header", str_(), |m, a, _| {
        Ok(s(&api_of(m.ctx, a)?.key_header))
    });
    r.prop("ctx:KeyNames", "Query", str_(), |m, a, _| {
        Ok(s(&api_of(m.ctx, a)?.key_query))
    });

    const OP: &str = "ctx:Operation";
    r.prop(OP, "Id", str_(), |m, _, _| Ok(s(&m.ctx.operation.id)));
    r.prop(OP, "Name", str_(), |m, _, _| Ok(s(&m.ctx.operation.name)));
    r.prop(OP, "Method", str_(), |m, _, _| {
        Ok(s(&m.ctx.operation.method))
    });
    r.prop(OP, "UrlTemplate", str_(), |m, _, _| {
        Ok(s(&m.ctx.operation.url_template))
    });

    const DP: &str = "ctx:Deployment";
    r.prop(DP, "Region", str_(), |m, _, _| {
        Ok(s(&m.ctx.deployment.region))
    });
    r.prop(DP, "ServiceName", str_(), |m, _, _| {
        Ok(s(&m.ctx.deployment.service_name))
    });
    r.prop(DP, "GatewayId", str_(), |m, _, _| {
        Ok(s(&m.ctx.deployment.gateway_id))
    });

    const LE: &str = "ctx:LastError";
    r.prop(LE, "Source", str_(), |m, _, _| {
        Ok(opt(m.ctx.last_error.as_ref(), |x| s(&x.source)))
    });
    r.prop(LE, "Reason", str_(), |m, _, _| {
        Ok(opt(m.ctx.last_error.as_ref(), |x| s(&x.reason)))
    });
    r.prop(LE, "Message", str_(), |m, _, _| {
        Ok(opt(m.ctx.last_error.as_ref(), |x| s(&x.message)))
    });
    r.prop(LE, "Scope", str_(), |m, _, _| {
        Ok(opt(m.ctx.last_error.as_ref(), |x| s(&x.scope)))
    });
    r.prop(LE, "Section", str_(), |m, _, _| {
        Ok(opt(m.ctx.last_error.as_ref(), |x| s(&x.section)))
    });
    r.prop(LE, "Path", str_(), |m, _, _| {
        Ok(opt(m.ctx.last_error.as_ref(), |x| s(&x.path)))
    });
    r.prop(LE, "PolicyId", str_(), |m, _, _| {
        Ok(opt(m.ctx.last_error.as_ref(), |x| s(&x.policy_id)))
    });

    // Dictionaries.
    r.prop("dict", "Count", Type::Int, |_, a, _| match &a[0] {
        Value::Dict(d) => Ok(Value::Int(d.entries.len() as i32)),
        _ => super::null_ref(),
    });
    r.prop(
        "dict",
        "Keys",
        Type::Seq(Box::new(str_())),
        |m, a, _| match &a[0] {
            Value::Dict(d) => m.step(d.entries.len() as u64).and_then(|()| {
                m.array(
                    d.entries
                        .iter()
                        .map(|(k, _)| Value::Str(k.clone()))
                        .collect(),
                )
            }),
            _ => super::null_ref(),
        },
    );
    r.method(
        "dict",
        "ContainsKey",
        vec![t(str_())],
        Type::Bool,
        |m, a, _| match &a[0] {
            Value::Dict(d) => Ok(Value::Bool(lookup(m, d, &str_arg(&a[1])?)?.is_some())),
            _ => super::null_ref(),
        },
    );
    let multi_t = || Type::Array(Box::new(Type::String));
    r.method(
        "dict:multi",
        "GetValueOrDefault",
        vec![t(str_())],
        str_(),
        get_multi,
    );
    r.method(
        "dict:multi",
        "GetValueOrDefault",
        vec![t(str_()), t(str_())],
        str_(),
        get_multi,
    );
    r.method("dict:multi", "[]", vec![t(str_())], multi_t(), index);
    r.method(
        "dict:multi",
        "TryGetValue",
        vec![t(str_()), P::Out(multi_t())],
        Type::Bool,
        try_get,
    );
    r.method(
        "dict:string",
        "GetValueOrDefault",
        vec![t(str_())],
        str_(),
        get_value,
    );
    r.method(
        "dict:string",
        "GetValueOrDefault",
        vec![t(str_()), t(str_())],
        str_(),
        get_value,
    );
    r.method("dict:string", "[]", vec![t(str_())], str_(), index);
    r.method(
        "dict:string",
        "TryGetValue",
        vec![t(str_()), P::Out(str_())],
        Type::Bool,
        try_get,
    );
    r.method("dict:object", "[]", vec![t(str_())], Type::Object, index);
    r.method(
        "dict:object",
        "TryGetValue",
        vec![t(str_()), P::Out(Type::Object)],
        Type::Bool,
        try_get,
    );
    let generic = |params: Vec<P>| Member {
        name: "GetValueOrDefault",
        property: false,
        params,
        ret: R::Gen,
        f: get_value,
        generic: true,
        mutates: false,
    };
    r.add("dict:object", generic(vec![t(str_())]));
    r.add("dict:object", generic(vec![t(str_()), P::Gen]));
    r.add(
        "pair",
        Member {
            name: "Key",
            property: true,
            params: vec![],
            ret: R::T(str_()),
            f: |_, a, _| match &a[0] {
                Value::Pair(p) => Ok(Value::Str(p.0.clone())),
                _ => super::null_ref(),
            },
            generic: false,
            mutates: false,
        },
    );
    r.add(
        "pair",
        Member {
            name: "Value",
            property: true,
            params: vec![],
            ret: R::Elem,
            f: |_, a, _| match &a[0] {
                Value::Pair(p) => Ok(p.1.clone()),
                _ => super::null_ref(),
            },
            generic: false,
            mutates: false,
        },
    );
    r.prop("nullable", "HasValue", Type::Bool, |_, a, _| {
        Ok(Value::Bool(!matches!(a[0], Value::Null)))
    });
    r.add(
        "nullable",
        Member {
            name: "Value",
            property: true,
            params: vec![],
            ret: R::Elem,
            f: |_, a, _| match &a[0] {
                Value::Null => fail(
                    ErrorKind::InvalidOperation,
                    "nullable object must have a value",
                ),
                v => Ok(v.clone()),
            },
            generic: false,
            mutates: false,
        },
    );
}

/// `Body.As<string>()`: the body text.
fn body_text(ctx: &Context, r: CtxRef) -> Res {
    let body = match r {
        CtxRef::ResponseBody => ctx.response.as_ref().and_then(|x| x.body.clone()),
        _ => ctx.request.body.clone(),
    };
    Ok(body.map_or(Value::Null, Value::Str))
}
