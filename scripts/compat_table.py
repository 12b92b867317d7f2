#!/usr/bin/env python3
"""Generate the `## Operations` section of docs/COMPATIBILITY.md.

Reads the Azure API Management 2017-03-01 swagger files and prints one Markdown
table row per operation (grouped by swagger file), plus a synthetic `HEAD` row
after every GET on a single-entity path (see REFERENCE.md section 1.3: the legacy
docs define HEAD = "get metadata" on every entity URL, the 2017 swagger does not
declare it).

Usage:
    python3 scripts/compat_table.py            # print the section to stdout
    python3 scripts/compat_table.py --write    # rewrite the section in docs/COMPATIBILITY.md
    python3 scripts/compat_table.py --spec DIR # use another swagger directory

The spec directory defaults to $TOLLGATE_SPEC_DIR, else
../shared/spec/azure-apim-2017-03-01 beside the repository.

Standard library only; output is deterministic.
"""

import argparse
import glob
import json
import os
import sys

DEFAULT_SPEC_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "spec", "azure-apim-2017-03-01"
)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC_PATH = os.path.join(REPO_ROOT, "docs", "COMPATIBILITY.md")

OPERATIONS_HEADING = "## Operations"
DECISIONS_HEADING = "## Decisions"

# Operations Tollgate supports today, keyed by swagger operationId -> note text.
SUPPORTED = {
    # apimproperties.json
    "Property_List": "",
    "Property_Get": "",
    "Property_CreateOrUpdate": "create-only (409) before 2016-10-10; 201/200 with body on 2017-03-01",
    "Property_Update": "",
    "Property_Delete": "405 while a policy references {{name}}",
    # apimbackends.json
    "Backend_List": "",
    "Backend_Get": "",
    "Backend_CreateOrUpdate": "legacy `host` shape before 2016-10-10, see Decisions",
    "Backend_Update": "",
    "Backend_Delete": "",
    # apimcertificates.json
    "Certificate_List": "filters id, subject, thumbprint, expirationDate",
    "Certificate_Get": "",
    "Certificate_CreateOrUpdate": "PKCS#12 upload; add or update in every version (If-Match to update); key sealed at rest, see Decisions",
    "Certificate_Delete": "400 while a backend or an authentication-certificate policy uses it",
    # apimtenant.json (path /tenant/{accessName})
    "TenantAccess_Get": "accessName must be `access`",
    "TenantAccess_Update": "accessName must be `access`",
    "TenantAccess_RegeneratePrimaryKey": "accessName must be `access`",
    "TenantAccess_RegenerateSecondaryKey": "accessName must be `access`",
    # apimapis.json
    "Api_List": "filters id, name, description, serviceUrl, path",
    "Api_Get": "?export=true: Swagger 2.0, WADL, WSDL (SOAP APIs) or JSON with operations",
    "Api_CreateOrUpdate": "create-only (409) before 2016-10-10; import: OpenAPI (JSON/YAML), WADL, WSDL, inline or by link",
    "Api_Update": "",
    "ApiExport_Get": "Swagger, WADL, WSDL links (5 minutes)",
    "Api_Delete": "deletes the API's operations and schemas in the same transaction",
    "ApiProduct_ListByApis": "",
    "ApiOperation_ListByApi": "items are summaries (id, name, method, urlTemplate, description)",
    "ApiOperation_Get": "",
    "ApiOperation_CreateOrUpdate": "urlTemplate parsed; templateParameters must match it",
    "ApiOperation_Update": "",
    "ApiOperation_Delete": "",
    "ApiPolicy_ListByApi": "",
    "ApiPolicy_Get": "legacy path /apis/{apiId}/policy before 2017-03-01",
    "ApiPolicy_CreateOrUpdate": "If-Match required (* creates); structure and {{names}} checked",
    "ApiPolicy_Delete": "",
    "ApiOperationPolicy_ListByOperation": "",
    "ApiOperationPolicy_Get": "legacy path …/operations/{operationId}/policy before 2017-03-01",
    "ApiOperationPolicy_CreateOrUpdate": "If-Match required (* creates); structure and {{names}} checked",
    "ApiOperationPolicy_Delete": "",
    "ApiSchema_ListByApi": "2017-03-01 only (404 before)",
    "ApiSchema_Get": "",
    "ApiSchema_CreateOrUpdate": "document.value must parse as JSON or XML by contentType",
    "ApiSchema_Delete": "400 ResourceReferenced while an operation references it",
    # apimgroups.json
    "Group_List": "filters id, name, description, type",
    "Group_Get": "",
    "Group_CreateOrUpdate": "built-in groups: 405",
    "Group_Update": "built-in groups: 405",
    "Group_Delete": "built-in groups: 405",
    # apimproducts.json
    "Product_List": "filters id, name, description, terms, state; expandGroups",
    "Product_Get": "",
    "Product_CreateOrUpdate": "defaults subscriptionRequired true, state notPublished",
    "Product_Update": "",
    "Product_Delete": "removes links and policy; with subscriptions only with deleteSubscriptions=true",
    "ProductSubscriptions_List": "subscription filters",
    "ProductApi_ListByProduct": "",
    "ProductApi_CreateOrUpdate": "201/200 with the API (legacy 201/204)",
    "ProductApi_Delete": "",
    "ProductGroup_ListByProduct": "",
    "ProductGroup_CreateOrUpdate": "201/200 with the group (legacy 201/204)",
    "ProductGroup_Delete": "",
    "ProductPolicy_ListByProduct": "",
    "ProductPolicy_Get": "legacy path /products/{productId}/policy before 2017-03-01",
    "ProductPolicy_CreateOrUpdate": "If-Match optional on 2017-03-01 (as the swagger)",
    "ProductPolicy_Delete": "",
    # apimusers.json
    "User_List": "filters id, firstName, lastName, email, note, state, registrationDate",
    "User_Get": "",
    "User_CreateOrUpdate": "password hashed (Argon2id), never returned; new users join Developers",
    "User_Update": "the administrator /users/1: 405",
    "User_Delete": "the administrator: 405; ends group memberships; deleteSubscriptions as products",
    "UserSubscription_List": "subscription filters",
    "User_GenerateSsoUrl": "URL on the answering host: GET /signin-sso?token=… (Decisions)",
    "User_GetSharedAccessToken": "token reads the user's own resources (Decisions)",
    "UserGroup_List": "",
    "UserIdentities_List": "",
    # apimsubscriptions.json
    "Subscription_List": "filters id, name, stateComment, userId, productId, state",
    "Subscription_Get": "",
    "Subscription_CreateOrUpdate": "user and product must exist (400); keys generated when not given",
    "Subscription_Update": "state changes follow the transition table (Decisions)",
    "Subscription_Delete": "",
    "Subscription_RegeneratePrimaryKey": "409 StateConflict once rejected, cancelled or expired",
    "Subscription_RegenerateSecondaryKey": "409 StateConflict once rejected, cancelled or expired",
    # group membership (apimgroups.json)
    "GroupUser_List": "",
    "GroupUser_Create": "built-in groups: 405",
    "GroupUser_Delete": "built-in groups: 405",
    # apimauthorizationservers.json
    "AuthorizationServer_List": "filters id, name; clientSecret and resourceOwnerPassword never listed",
    "AuthorizationServer_Get": "",
    "AuthorizationServer_CreateOrUpdate": "",
    "AuthorizationServer_Update": "",
    "AuthorizationServer_Delete": "400 ResourceReferenced while an API names it",
    # apimidentityprovider.json
    "IdentityProvider_List": "from 2016-07-07",
    "IdentityProvider_Get": "",
    "IdentityProvider_CreateOrUpdate": "the path names the type (aadB2C from 2017-03-01); stored as /identityProviders/Facebook etc.",
    "IdentityProvider_Update": "`type` cannot change",
    "IdentityProvider_Delete": "",
    # apimopenidconnectproviders.json
    "OpenIdConnectProvider_List": "from 2016-07-07; filters id, name",
    "OpenIdConnectProvider_Get": "",
    "OpenIdConnectProvider_CreateOrUpdate": "",
    "OpenIdConnectProvider_Update": "",
    "OpenIdConnectProvider_Delete": "",
    # apimemailtemplate.json
    "EmailTemplate_List": "the 14 templates, seeded with Tollgate's own texts; filter id",
    "EmailTemplate_Get": "",
    "EmailTemplate_CreateOrUpdate": "changes one of the 14 (200); fields not given are kept",
    "EmailTemplate_Update": "If-Match optional, as the contract declares none",
    "EmailTemplate_Delete": "restores the default text",
    # apimportalsettings.json
    "SignInSettings_Get": "2017-03-01; seeded: enabled false",
    "SignInSettings_CreateOrUpdate": "204; replaces the setting; If-Match optional",
    "SignInSettings_Update": "204; If-Match required",
    "SignUpSettings_Get": "2017-03-01; seeded: enabled true, terms off",
    "SignUpSettings_CreateOrUpdate": "204; shown terms need a text",
    "SignUpSettings_Update": "204; If-Match required",
    "DelegationSettings_Get": "2017-03-01; seeded: nothing delegated",
    "DelegationSettings_CreateOrUpdate": "204; url and base64 validationKey needed to delegate anything",
    "DelegationSettings_Update": "204; If-Match required",
    # apimquotas.json
    "QuotaByCounterKeys_List": "from 2016-07-07; 404 when nothing was counted for the key",
    "QuotaByCounterKeys_Update": "flat or `value`-nested body; 404 when nothing was counted",
    "QuotaByPeriodKeys_Get": "2017: `Value` nested; before: flat",
    "QuotaByPeriodKeys_Update": "",
    # apimtenant.json (git access)
    "TenantAccessGit_Get": "id `git` (the repository user name); disabled on a new instance",
    "TenantAccessGit_RegeneratePrimaryKey": "",
    "TenantAccessGit_RegenerateSecondaryKey": "",
    # apimloggers.json
    "Logger_List": "filters id, type (also loggerType)",
    "Logger_Get": "credentials: never before 2017-03-01; then with the {{Logger-Credentials-…}} reference",
    "Logger_CreateOrUpdate": "`type` before 2017-03-01, `loggerType` on it; connection string moved into a secret property",
    "Logger_Update": "",
    "Logger_Delete": "400 ResourceReferenced while a policy's log-to-eventhub uses it",
    # apimanagement.json (global policy scope)
    "Regions_List": "one region, named `local`",
    # apimreports.json
    "Reports_ListByApi": "aggregated in SQL from the gateway's request records; $orderby",
    "Reports_ListByUser": "name is \"First Last\"; $orderby",
    "Reports_ListByOperation": "apiId and operationId; $orderby",
    "Reports_ListByProduct": "$orderby",
    "Reports_ListByGeo": "no GeoIP: loopback is `local`, other clients `unknown`",
    "Reports_ListBySubscription": "userId, productId, subscriptionId; $orderby incl. callCountTotal",
    "Reports_ListByTime": "interval: ISO 8601, non-zero multiple of 15 minutes; buckets from the Unix epoch",
    "Reports_ListByRequest": "backendResponseCode a string from 2017-03-01, an integer before",
    "PolicySnippets_List": "bare array, as the service answers; snippet texts are Tollgate's",
    "Policy_List": "scope=Tenant|Api|Operation|All (Product: empty until products exist)",
    "Policy_Get": "XML by default; JSON or raw XML by Accept; legacy path /tenant/policy before 2017-03-01",
    "Policy_CreateOrUpdate": "global scope; structure and {{names}} checked",
    "Policy_Delete": "global scope",
}

# Synthetic HEAD routes Tollgate supports, keyed by the operationId of the GET
# they shadow -> note text.
SUPPORTED_HEAD = {
    "Property_Get": "200 + ETag, or 404; no body",
    "Group_Get": "200 + ETag, or 404; no body",
    "User_Get": "200 + ETag, or 404; no body",
    "Subscription_Get": "200 + ETag, or 404; no body",
    "Product_Get": "200 + ETag, or 404; no body",
    "ProductPolicy_Get": "200 + ETag, or 404 when no policy",
    "Api_Get": "200 + ETag, or 404; no body",
    "ApiOperation_Get": "200 + ETag, or 404; no body",
    "ApiSchema_Get": "200 + ETag, or 404; no body",
    "ApiPolicy_Get": "200 + ETag, or 404 when no policy",
    "ApiOperationPolicy_Get": "200 + ETag, or 404 when no policy",
    "Backend_Get": "200 + ETag, or 404; no body",
    "Logger_Get": "200 + ETag, or 404; no body",
    "QuotaByPeriodKeys_Get": "200, or 404; no body (counters have no ETag)",
    "TenantAccessGit_Get": "200 + ETag; PATCH {enabled} also accepted, as the legacy docs describe",
    "EmailTemplate_Get": "200 + ETag, or 404; no body",
    "OpenIdConnectProvider_Get": "200 + ETag, or 404; no body",
    "IdentityProvider_Get": "200 + ETag, or 404; no body",
    "AuthorizationServer_Get": "200 + ETag, or 404; no body",
    "Certificate_Get": "200 + ETag, or 404; no body",
    "TenantAccess_Get": "200 + ETag; accessName must be `access`",
    "Policy_Get": "200 + ETag, or 404 when no global policy; legacy path /tenant/policy",
}

# Fixed singletons whose path does not end in a parameter segment but for which
# the legacy docs define HEAD (REFERENCE.md 14.3: HEAD /tenant/access/git).
EXTRA_HEAD_PATHS = {"/tenant/{accessName}/git"}

# Human title of each swagger file, for the ### subheadings.
FILE_TITLES = {
    "apimanagement.json": "Global policies, policy snippets, regions",
    "apimapis.json": "APIs",
    "apimauthorizationservers.json": "Authorization servers",
    "apimbackends.json": "Backends",
    "apimcertificates.json": "Certificates",
    "apimemailtemplate.json": "Email templates",
    "apimgroups.json": "Groups",
    "apimidentityprovider.json": "Identity providers",
    "apimloggers.json": "Loggers",
    "apimopenidconnectproviders.json": "OpenID Connect providers",
    "apimportalsettings.json": "Portal settings",
    "apimproducts.json": "Products",
    "apimproperties.json": "Properties",
    "apimquotas.json": "Quota counters",
    "apimreports.json": "Reports",
    "apimsubscriptions.json": "Subscriptions",
    "apimtenant.json": "Tenant",
    "apimusers.json": "Users",
}

METHOD_ORDER = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"]
HTTP_METHODS = {m.lower() for m in METHOD_ORDER}

DOC_TEMPLATE = """# Compatibility

This page lists every operation of the Azure API Management 2017-03-01 management API contract and whether
Tollgate supports it, and every decision Tollgate took where the Azure documentation is silent.

{operations}
## Decisions

(see below)

## Error codes

(see below)
"""


def load_operations(spec_dir):
    """Return {file name: [(path, METHOD, operationId, response_schema_ref)]}."""
    files = sorted(glob.glob(os.path.join(spec_dir, "*.json")))
    if not files:
        sys.exit("compat_table.py: no swagger files in %s" % spec_dir)
    result = {}
    for fname in files:
        with open(fname, encoding="utf-8") as fh:
            doc = json.load(fh)
        ops = []
        # x-ms-paths holds operations whose path carries a query string
        # (e.g. GET /apis/{apiId}?export=true); they are operations of the contract too.
        for section in ("paths", "x-ms-paths"):
            for path, item in (doc.get(section) or {}).items():
                for method, op in item.items():
                    if method not in HTTP_METHODS:
                        continue  # path-level "parameters" etc.
                    schema = ((op.get("responses") or {}).get("200") or {}).get("schema") or {}
                    ops.append((path, method.upper(), op.get("operationId", ""), schema.get("$ref", "")))
        result[os.path.basename(fname)] = ops
    return result


def is_single_entity_get(path, schema_ref):
    """A GET whose path ends in a {param} segment (and returns an entity, not a collection),
    or one of the extra fixed singletons."""
    if "?" in path:
        return False  # query variant of another path (ApiExport_Get): not an entity URL
    if path in EXTRA_HEAD_PATHS:
        return True
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if not (last.startswith("{") and last.endswith("}")):
        return False
    # e.g. GET /quotas/{quotaCounterKey} returns QuotaCounterCollection
    return not schema_ref.endswith("Collection")


def sort_key(row):
    path, method = row[0], row[1]
    base, _, query = path.partition("?")
    return (base, query, METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


def md_cell(text):
    return text.replace("|", "\\|")


def build_rows(ops):
    """Return a sorted list of (path, METHOD, operationId, status, note, is_head)."""
    rows = []
    for path, method, op_id, schema_ref in ops:
        status = "supported" if op_id in SUPPORTED else "not yet"
        rows.append((path, method, op_id, status, SUPPORTED.get(op_id, ""), False))
        if method == "GET" and is_single_entity_get(path, schema_ref):
            if op_id in SUPPORTED_HEAD:
                rows.append((path, "HEAD", "(HEAD, legacy)", "supported", SUPPORTED_HEAD[op_id], True))
            else:
                rows.append((path, "HEAD", "(HEAD, legacy)", "not yet", "", True))
    rows.sort(key=sort_key)
    return rows


def render(spec_dir):
    by_file = load_operations(spec_dir)
    known_ids = {op[2] for ops in by_file.values() for op in ops}
    for op_id in sorted(set(SUPPORTED) | set(SUPPORTED_HEAD)):
        if op_id not in known_ids:
            print("compat_table.py: warning: operationId %s is not in the swagger" % op_id, file=sys.stderr)

    sections = []
    total = supported = head_supported = head_total = 0
    for fname in sorted(by_file):
        rows = build_rows(by_file[fname])
        title = FILE_TITLES.get(fname, os.path.splitext(fname)[0])
        lines = [
            "### %s (%s)" % (title, fname),
            "",
            "| Method | Path | operationId | Status | Notes |",
            "|---|---|---|---|---|",
        ]
        for path, method, op_id, status, note, is_head in rows:
            if is_head:
                head_total += 1
                head_supported += status == "supported"
            else:
                total += 1
                supported += status == "supported"
            lines.append("| %s | `%s` | %s | %s | %s |" % (
                method, md_cell(path), md_cell(op_id), status, md_cell(note)))
        sections.append("\n".join(lines) + "\n")

    header = [
        OPERATIONS_HEADING,
        "",
        "%d of %d operations supported (plus %d HEAD routes)" % (supported, total, head_supported),
        "",
        "Generated by `python3 scripts/compat_table.py --write` from the 2017-03-01 swagger files; "
        "do not edit this section by hand. One row per swagger operation (`paths` and `x-ms-paths`). "
        "The %d rows with operationId `(HEAD, legacy)` are synthetic: the legacy documentation defines "
        "`HEAD` (\"get metadata\": 200 + ETag, or 404, no body) on entity URLs although the 2017-03-01 "
        "swagger declares no HEAD operation, so one such row follows every GET on a single-entity path. "
        "Status is `supported` or `not yet`." % head_total,
        "",
    ]
    return "\n".join(header) + "\n" + "\n".join(sections)


def write_doc(section):
    if not section.endswith("\n"):
        section += "\n"
    if not os.path.exists(DOC_PATH):
        os.makedirs(os.path.dirname(DOC_PATH), exist_ok=True)
        content = DOC_TEMPLATE.format(operations=section)
    else:
        with open(DOC_PATH, encoding="utf-8") as fh:
            lines = fh.read().splitlines(keepends=True)
        stripped = [l.rstrip() for l in lines]
        try:
            start = stripped.index(OPERATIONS_HEADING)
        except ValueError:
            start = None
        if start is None:
            # No Operations section yet: insert it before Decisions, or append.
            if DECISIONS_HEADING in stripped:
                at = stripped.index(DECISIONS_HEADING)
                lines[at:at] = [section, "\n"]
            else:
                if lines and not lines[-1].endswith("\n"):
                    lines[-1] += "\n"
                lines += ["\n", section]
        else:
            end = None
            for i in range(start + 1, len(stripped)):
                if stripped[i] == DECISIONS_HEADING:
                    end = i
                    break
            if end is None:  # no Decisions heading: stop at the next level-2 heading
                for i in range(start + 1, len(stripped)):
                    if stripped[i].startswith("## "):
                        end = i
                        break
            if end is None:
                end = len(lines)
            replacement = [section] + (["\n"] if end < len(lines) else [])
            lines[start:end] = replacement
        content = "".join(lines)
    with open(DOC_PATH, "w", encoding="utf-8") as fh:
        fh.write(content)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true",
                    help="rewrite the Operations section of docs/COMPATIBILITY.md instead of printing it")
    ap.add_argument("--spec", default=os.environ.get("TOLLGATE_SPEC_DIR", DEFAULT_SPEC_DIR),
                    help="directory holding the 2017-03-01 swagger files (default: %(default)s)")
    args = ap.parse_args()
    section = render(args.spec)
    if args.write:
        write_doc(section)
    else:
        sys.stdout.write(section)


if __name__ == "__main__":
    main()
