//! WADL import and export: a real WADL document (`fixtures/wadl/README.md`), the pieces of the
//! format one by one, errors with their locations, round trips, and mutated inputs.

mod common;

use common::{FIXTURES, api_of, assert_valid, fixture, kept};
use tollgate_contract::entity::api::{Api, KeyParameterNames};
use tollgate_contract::entity::operation::{
    Operation, Parameter, Representation, Request, Response,
};
use tollgate_contract::xml::check_well_formed;
use tollgate_interchange::{ImportError, ImportedApi, export_wadl, import_openapi, import_wadl};

const NS: &str = r#"xmlns="http://wadl.dev.java.net/2009/02""#;

fn import(document: &str) -> ImportedApi {
    let api = import_wadl(document).unwrap_or_else(|e| panic!("{e}\n{document}"));
    assert_valid(&api);
    api
}

fn fail(document: &str) -> ImportError {
    match import_wadl(document) {
        Ok(api) => panic!("imported {:?}", kept(&api)),
        Err(e) => e,
    }
}

/// A WADL document in the 2009/02 namespace around `resources` (the inside of `<resources>`).
fn wadl(resources: &str) -> String {
    format!(
        "<application {NS}>\n<resources base=\"https://api.example/v1/\">\n{resources}\n</resources>\n</application>"
    )
}

fn op<'a>(api: &'a ImportedApi, id: &str) -> &'a Operation {
    &api.operations
        .iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
        .1
}

fn summary(api: &ImportedApi) -> Vec<(&str, &str, &str)> {
    api.operations
        .iter()
        .map(|(id, op)| (id.as_str(), op.method.as_str(), op.url_template.as_str()))
        .collect()
}

fn param(name: &str, param_type: &str, required: bool) -> Parameter {
    Parameter {
        name: Some(name.to_owned()),
        description: None,
        param_type: Some(param_type.to_owned()),
        default_value: None,
        required: Some(required),
        values: None,
    }
}

fn statuses(op: &Operation) -> Vec<(i64, Vec<&str>)> {
    op.responses
        .iter()
        .map(|r| {
            let types = r
                .representations
                .iter()
                .filter_map(|x| x.content_type.as_deref())
                .collect();
            (r.status_code.unwrap_or(0), types)
        })
        .collect()
}

#[test]
fn rackspace_admin_fixture() {
    let api = import(&fixture("wadl/admin.wadl"));
    assert_eq!(api.name, "Imported WADL API");
    assert_eq!(api.description, None);
    assert_eq!(
        api.service_url.as_deref(),
        Some("https://auth.api.rackspacecloud.com")
    );
    assert_eq!(api.protocols, ["https"]);
    assert!(api.schemas.is_empty());
    // `auth.wadl#getVersionInfo` points into another document and is skipped; `userRedirect` is
    // used by two resources.
    assert_eq!(
        summary(&api),
        [
            ("authenticate", "POST", "/v1.1/auth"),
            ("validateToken", "GET", "/v1.1/token/{tokenId}"),
            ("revokeToken", "DELETE", "/v1.1/token/{tokenId}"),
            ("createUser", "POST", "/v1.1/users"),
            ("getUser", "GET", "/v1.1/users/{userId}"),
            ("deleteUser", "DELETE", "/v1.1/users/{userId}"),
            ("updateUser", "PUT", "/v1.1/users/{userId}"),
            ("getUserEnabled", "GET", "/v1.1/users/{userId}/enabled"),
            ("setUserEnabled", "PUT", "/v1.1/users/{userId}/enabled"),
            ("getUserKey", "GET", "/v1.1/users/{userId}/key"),
            ("setUserKey", "PUT", "/v1.1/users/{userId}/key"),
            (
                "getServiceCatalog",
                "GET",
                "/v1.1/users/{userId}/serviceCatalog"
            ),
            ("getBaseURLRefs", "GET", "/v1.1/users/{userId}/baseURLRefs"),
            ("addBaseURLRef", "POST", "/v1.1/users/{userId}/baseURLRefs"),
            (
                "getBaseURLRef",
                "GET",
                "/v1.1/users/{userId}/baseURLRefs/{baseURLId}"
            ),
            (
                "deleteBaseURLRef",
                "DELETE",
                "/v1.1/users/{userId}/baseURLRefs/{baseURLId}"
            ),
            ("userRedirect", "GET", "/v1.1/nast/{nastId}"),
            ("userRedirect-2", "GET", "/v1.1/mosso/{mossoId}"),
            ("getBaseURLs", "GET", "/v1.1/baseURLs"),
            ("getBaseURL", "GET", "/v1.1/baseURLs/{baseURLId}"),
        ]
    );
    let names_of: Vec<&str> = api
        .operations
        .iter()
        .map(|(_, o)| o.name.as_str())
        .collect();
    assert_eq!(names_of[0], "authenticate");
    assert_eq!(names_of[17], "userRedirect");

    let validate = op(&api, "validateToken");
    assert_eq!(
        validate.template_parameters,
        [param("tokenId", "string", true)]
    );
    let mut kind = param("type", "string", false);
    kind.default_value = Some("CLOUD".into());
    kind.values = Some(vec!["CLOUD".into(), "NAST".into(), "MOSSO".into()]);
    assert_eq!(
        validate.request.query_parameters,
        [param("belongsTo", "string", false), kind]
    );
    assert!(validate.request.representations.is_empty());
    // `200 203` and the single statuses merge with `400 401 403 404 500 503`.
    assert_eq!(
        statuses(validate),
        [
            (200, vec!["application/xml", "applicaiton/json"]),
            (203, vec!["application/xml", "applicaiton/json"]),
            (401, vec!["application/xml", "applicaiton/json"]),
            (403, vec!["application/xml", "applicaiton/json"]),
            (400, vec!["application/xml", "applicaiton/json"]),
            (404, vec!["application/xml", "applicaiton/json"]),
            (500, vec!["application/xml", "applicaiton/json"]),
            (503, vec!["applicaiton/xml", "applicaiton/json"]),
        ]
    );

    let authenticate = op(&api, "authenticate");
    let request_types: Vec<_> = authenticate
        .request
        .representations
        .iter()
        .filter_map(|r| r.content_type.as_deref())
        .collect();
    assert_eq!(request_types, ["application/xml", "application/json"]);
    assert!(authenticate.template_parameters.is_empty());

    let created = &op(&api, "createUser").responses[0];
    assert_eq!(created.status_code, Some(201));
    assert_eq!(created.headers, [param("Location", "anyURI", false)]);
    assert_eq!(created.representations.len(), 2);
    // `style="plain"` parameters describe the body, not anything Tollgate keeps.
    assert!(
        op(&api, "createUser").request.representations[0]
            .form_parameters
            .is_none()
    );

    let redirect = op(&api, "userRedirect-2");
    assert_eq!(
        redirect.template_parameters,
        [param("mossoId", "int", true)]
    );
    let see_other = &redirect.responses[0];
    assert_eq!(see_other.status_code, Some(303));
    assert!(
        see_other.representations.is_empty(),
        "no mediaType, no representation"
    );
    assert_eq!(see_other.headers, [param("Location", "anyURI", false)]);

    let base_ref = op(&api, "deleteBaseURLRef");
    assert_eq!(
        base_ref.template_parameters,
        [
            param("userId", "string", true),
            param("baseURLId", "int", true)
        ]
    );
    assert_eq!(statuses(base_ref)[0], (204, vec![]));
}

#[test]
fn rackspace_admin_fixture_survives_export() {
    let first = import(&fixture("wadl/admin.wadl"));
    let exported = export_wadl(&api_of(&first), &first.operations, &first.schemas);
    check_well_formed(&exported).unwrap();
    let second = import(&exported);
    assert_eq!(second.operations, first.operations, "{exported}");
    assert_eq!(second.service_url, first.service_url);
    assert_eq!(second.name, first.name);
}

#[test]
fn nested_resources_and_parameters() {
    let doc = wadl(
        r#"<resource path="/stores/{storeId}/">
  <doc title="A store">ignored: resources are not operations</doc>
  <param name="storeId" style="template" type="xs:int"><doc>The store.</doc></param>
  <param name="api-version" style="query" required="true" default="2"/>
  <param name="X-Trace" style="header" type="xsd:string"/>
  <param name="m" style="matrix"/>
  <method name="get" id="getStore"/>
  <resource path="items">
    <method name="POST" id="add item">
      <request>
        <param name="api-version" style="query" type="xs:int" required="false"><option value="1"/><option value="2"/></param>
        <param name="dryRun" style="query" type="xs:boolean"/>
        <param name="If-Match" style="header" required="true"/>
        <representation mediaType="application/x-www-form-urlencoded">
          <param name="title" style="query" required="true"/>
          <param name="count" style="query" type="xs:int"/>
        </representation>
        <representation mediaType="application/json"/>
      </request>
    </method>
    <resource path="{itemId: [0-9]{1,9}}/parts/{part}">
      <method name="GET">
        <doc title="Get a part">Returns &lt;one&gt; part.</doc>
        <request><param name="part" style="template" type="xs:string"><option value="lid"/></param></request>
      </method>
    </resource>
  </resource>
</resource>"#,
    );
    let api = import(&doc);
    assert_eq!(
        summary(&api),
        [
            ("getStore", "GET", "/stores/{storeId}/"),
            ("add-item", "POST", "/stores/{storeId}/items"),
            (
                "get--stores--storeId--items--itemId--parts--part-",
                "GET",
                "/stores/{storeId}/items/{itemId}/parts/{part}"
            ),
        ]
    );
    let store = op(&api, "getStore");
    assert_eq!(store.name, "getStore");
    let mut store_id = param("storeId", "int", true);
    store_id.description = Some("The store.".into());
    assert_eq!(store.template_parameters, [store_id.clone()]);
    let mut version = param("api-version", "string", true);
    version.default_value = Some("2".into());
    assert_eq!(store.request.query_parameters, [version]);
    assert_eq!(store.request.headers, [param("X-Trace", "string", false)]);

    // Resource query and header params belong to that resource's methods only; the request's
    // replace the resource's of the same name.
    let add = op(&api, "add-item");
    assert_eq!(add.name, "add item");
    assert_eq!(add.template_parameters, [store_id.clone()]);
    let mut version = param("api-version", "int", false);
    version.values = Some(vec!["1".into(), "2".into()]);
    assert_eq!(
        add.request.query_parameters,
        [version, param("dryRun", "boolean", false)]
    );
    assert_eq!(add.request.headers, [param("If-Match", "string", true)]);
    let form = &add.request.representations[0];
    assert_eq!(
        form.form_parameters.as_deref(),
        Some(&[param("title", "string", true), param("count", "int", false)][..])
    );
    assert_eq!(add.request.representations[1].form_parameters, None);

    let part = &api.operations[2].1;
    assert_eq!(part.name, "Get a part");
    assert_eq!(part.description.as_deref(), Some("Returns <one> part."));
    let mut part_param = param("part", "string", true);
    part_param.values = Some(vec!["lid".into()]);
    assert_eq!(
        part.template_parameters,
        [store_id, param("itemId", "string", true), part_param],
        "itemId is not described: added as a required string"
    );
    assert!(part.request.query_parameters.is_empty());
}

#[test]
fn references_resource_types_and_other_namespaces() {
    // No namespace at all; `href`s to methods, params and representations; resource types;
    // XHTML documentation; elements of other namespaces are not WADL.
    let doc = r##"<?xml version="1.0"?>
<!-- a comment -->
<application xmlns:x="urn:x">
  <doc title="Library" xml:lang="en"><p xmlns="http://www.w3.org/1999/xhtml">Books
     and <b>more</b>.</p></doc>
  <resources base="http://library.example/">
    <resource path="books" type="#collection">
      <x:resource path="ignored"><method name="GET"/></x:resource>
      <resource path="{isbn}"><method href="#read"/></resource>
    </resource>
  </resources>
  <resource_type id="collection">
    <param href="#page"/>
    <method name="GET" id="list"><response><representation href="#json"/></response></method>
  </resource_type>
  <param id="page" name="page" style="query" type="xsd:int" default="1"/>
  <representation id="json" mediaType="application/json"/>
  <method id="read" href="#read-definition"/>
  <method id="read-definition" name="GET"><response status="200"><representation href="#json"/></response></method>
</application>"##;
    let api = import(doc);
    assert_eq!(api.name, "Library");
    assert_eq!(api.description.as_deref(), Some("Books and more."));
    assert_eq!(api.service_url.as_deref(), Some("http://library.example"));
    assert_eq!(api.protocols, ["http"]);
    // The resource's own methods and resources come first, then those of its types.
    assert_eq!(
        summary(&api),
        [
            ("read-definition", "GET", "/books/{isbn}"),
            ("list", "GET", "/books")
        ]
    );
    let list = op(&api, "list");
    let mut page = param("page", "int", false);
    page.default_value = Some("1".into());
    assert_eq!(list.request.query_parameters, [page]);
    assert_eq!(statuses(list), [(200, vec!["application/json"])]);
    let read = op(&api, "read-definition");
    assert!(
        read.request.query_parameters.is_empty(),
        "not a method of books"
    );
    assert_eq!(read.template_parameters, [param("isbn", "string", true)]);
}

#[test]
fn the_2006_namespace_and_its_faults() {
    let doc = r#"<application xmlns="http://research.sun.com/wadl/2006/10">
  <resources base="relative/base"><doc title="Old"/>
    <resource path="search">
      <method name="GET" id="search">
        <request><param name="q" style="query" required="1"/></request>
        <response>
          <representation mediaType="application/xml"/>
          <fault status="400 404" mediaType="text/plain"/>
          <fault mediaType="text/html"/>
        </response>
      </method>
    </resource>
  </resources>
</application>"#;
    let api = import(doc);
    assert_eq!(api.name, "Old", "the title of <resources>");
    assert_eq!(api.service_url, None, "a relative base is no service URL");
    assert_eq!(api.protocols, ["https"]);
    let search = op(&api, "search");
    assert_eq!(
        search.request.query_parameters,
        [param("q", "string", true)]
    );
    assert_eq!(
        statuses(search),
        [
            (200, vec!["application/xml"]),
            (400, vec!["text/plain"]),
            (404, vec!["text/plain"])
        ]
    );
}

#[test]
fn response_status_lists() {
    let doc = wadl(
        r#"<resource path="orders">
  <method name="POST" id="order">
    <response status="201 202"><doc>Accepted.</doc><param name="Location" style="header" type="xs:anyURI" required="true"/>
      <representation mediaType="application/json"/></response>
    <response status=" 400  422 "><representation mediaType="application/problem+json"/></response>
    <response status="201"><doc>Created again.</doc><param name="location" style="header"/><representation mediaType="application/xml"/></response>
    <response><representation mediaType="text/plain"/></response>
  </method>
</resource>"#,
    );
    let api = import(&doc);
    let order = op(&api, "order");
    assert_eq!(
        statuses(order),
        [
            (201, vec!["application/json", "application/xml"]),
            (202, vec!["application/json"]),
            (400, vec!["application/problem+json"]),
            (422, vec!["application/problem+json"]),
            (200, vec!["text/plain"]),
        ]
    );
    let created = &order.responses[0];
    assert_eq!(created.description.as_deref(), Some("Accepted."));
    assert_eq!(created.headers, [param("Location", "anyURI", true)]);
}

#[test]
fn errors_name_the_element_and_line() {
    let cases: Vec<(String, &str, &str)> = vec![
        (String::new(), "", "line 1: not an XML document"),
        (
            r#"{"swagger": "2.0"}"#.into(),
            "",
            "line 1: not an XML document: text before the root element",
        ),
        (
            "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\"/>".into(),
            "",
            "line 1: not a WADL document: the root element must be <application>",
        ),
        (
            "<application xmlns=\"http://example.com/not-wadl\"/>".into(),
            "",
            "not a WADL document",
        ),
        (
            wadl("<resource path=\"a\">\n<method name=\"GET\">\n</resource>"),
            "/application/resources/resource[1]/method[1]",
            "line 5: not well-formed XML",
        ),
        (
            format!("<application {NS}>\n<resources>\n<resource path=\"a\">"),
            "/application/resources/resource[1]",
            "line 3: the document ends before <resource> (line 3) is closed",
        ),
        (
            wadl(
                "<resource path=\"a/{x}\"><method name=\"GET\"/></resource>\n<resource path=\"b\"/>\n<resource path=\"A/{y}\">\n  <method name=\"PUT\"/>\n  <method name=\"GET\" id=\"again\"/>\n</resource>",
            ),
            "/application/resources/resource[3]/method[2]",
            "line 7: GET /A/{y} matches the same requests as GET /a/{x}",
        ),
        (
            wadl(
                "<resource path=\"a\">\n<method name=\"GET\"><response status=\"200 OK\"/></method></resource>",
            ),
            "/application/resources/resource[1]/method[1]/response[1]",
            "line 4: status 'OK' is not an HTTP status code",
        ),
        (
            wadl(
                "<resource path=\"a\"><method name=\"GET\"><request>\n<param style=\"query\"/></request></method></resource>",
            ),
            "/application/resources/resource[1]/method[1]/request/param[1]",
            "line 4: a <param> needs a name",
        ),
        (
            wadl("<resource path=\"a\"><method id=\"x\"/></resource>"),
            "/application/resources/resource[1]/method[1]",
            "a <method> needs a name",
        ),
        (
            wadl("<resource path=\"a\"><method href=\"#nowhere\"/></resource>"),
            "/application/resources/resource[1]/method[1]",
            "href '#nowhere' names no element",
        ),
        (
            wadl("<resource path=\"a\" id=\"r\"><method href=\"#r\"/></resource>"),
            "/application/resources/resource[1]/method[1]",
            "names a <resource>, not a <method>",
        ),
        (
            wadl("<resource path=\"a\" type=\"#none\"/>"),
            "/application/resources/resource[1]",
            "type '#none' names no <resource_type>",
        ),
        (
            wadl("<resource path=\"a b\"><method name=\"GET\"/></resource>"),
            "/application/resources/resource[1]/method[1]",
            "'/a b' is not a valid URL template",
        ),
        (
            wadl("<resource path=\"a\"><method name=\"GE T\"/></resource>"),
            "/application/resources/resource[1]/method[1]",
            "the operation fails validation: method:",
        ),
        (
            wadl(
                "<resource path=\"a\"><method id=\"m\" href=\"#n\"/><method id=\"n\" href=\"#m\"/></resource>",
            ),
            "/application/resources/resource[1]/method[1]",
            "chained href references",
        ),
    ];
    for (doc, pointer, message) in cases {
        let err = fail(&doc);
        assert_eq!(err.pointer, pointer, "{doc}\n{err}");
        assert!(err.message.contains(message), "{doc}\n{err}");
        assert!(err.message.starts_with("line "), "{err}");
    }
}

#[test]
fn errors_from_unbalanced_tags_give_the_line() {
    let doc = "<application xmlns=\"http://wadl.dev.java.net/2009/02\">\n  <resources>\n    <resource path=\"a\">\n    </resources>\n</application>";
    let err = fail(doc);
    assert_eq!(err.pointer, "/application/resources/resource[1]");
    assert!(
        err.message.starts_with("line 4: not well-formed XML"),
        "{err}"
    );
    assert!(err.message.contains("resource"), "{err}");
    assert_eq!(
        err.to_string(),
        format!("at {}: {}", err.pointer, err.message)
    );
}

fn petstore_round_trip(name: &str) {
    let first = import_openapi(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let exported = export_wadl(&api_of(&first), &first.operations, &first.schemas);
    check_well_formed(&exported).unwrap_or_else(|e| panic!("{name}: {e}\n{exported}"));
    let second = import_wadl(&exported).unwrap_or_else(|e| panic!("{name}: {e}\n{exported}"));
    assert_valid(&second);
    assert_eq!(kept(&second), kept(&first), "{name}:\n{exported}");
    assert_eq!(second.name, first.name);
    assert_eq!(second.description, first.description);
    assert_eq!(second.service_url, first.service_url);
    for ((_, a), (_, b)) in first.operations.iter().zip(&second.operations) {
        assert_eq!(a.template_parameters, b.template_parameters, "{name}");
        assert_eq!(
            a.request.query_parameters, b.request.query_parameters,
            "{name}"
        );
        assert_eq!(a.request.headers, b.request.headers, "{name}");
        assert_eq!(a.description, b.description, "{name}");
    }
}

#[test]
fn petstore_fixtures_round_trip_through_wadl() {
    for name in FIXTURES {
        petstore_round_trip(name);
    }
}

#[test]
fn the_export_has_the_wadl_2009_shape() {
    let api = import_openapi(&fixture("openapi-3.0-petstore.json")).unwrap();
    let exported = export_wadl(&api_of(&api), &api.operations, &api.schemas);
    for expected in [
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<application xmlns=\"http://wadl.dev.java.net/2009/02\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">",
        "\n  <doc title=\"Swagger Petstore\"/>",
        "\n  <resources base=\"http://petstore.swagger.io/v1\">",
        "\n    <resource path=\"/pets\">",
        "\n      <method id=\"listPets\" name=\"GET\">",
        "\n        <doc title=\"List all pets\"/>",
        "\n          <param name=\"limit\" style=\"query\" type=\"xs:integer\" required=\"false\">",
        "\n    <resource path=\"/pets/{petId}\">",
        "\n          <param name=\"petId\" style=\"template\" type=\"xs:string\" required=\"true\">",
        "\n        <response status=\"200\">",
        "\n          <representation mediaType=\"application/json\"/>",
        "\n</application>\n",
    ] {
        assert!(exported.contains(expected), "{expected}\nin\n{exported}");
    }
    assert_eq!(exported.matches("<resource ").count(), 2);
}

fn rich_api() -> (Api, Vec<(String, Operation)>) {
    let api = Api {
        name: "Odd <names> & \"quotes\"".into(),
        description: Some("Line one\nline two & <three>".into()),
        service_url: Some("http://odd.example/base".into()),
        path: "odd".into(),
        protocols: vec!["http".into()],
        authentication_settings: None,
        subscription_key_parameter_names: KeyParameterNames {
            header: "k".into(),
            query: "k".into(),
        },
        api_type: None,
    };
    let mut described = param("q", "string", false);
    described.description = Some("A \"query\"\twith <markup>\nand lines".into());
    described.default_value = Some("a&b".into());
    described.values = Some(vec!["a&b".into(), "<c>".into()]);
    let search = Operation {
        name: "Search ]]> everything".into(),
        method: "GET".into(),
        url_template: "/items/{id}.{ext}?page={page}&size={pageSize}".into(),
        template_parameters: vec![
            param("id", "integer", true),
            param("ext", "string", true),
            param("page", "integer", true),
            param("pageSize", "integer", true),
        ],
        description: Some("Finds \u{e9}verything.".into()),
        request: Request {
            description: Some("No body.".into()),
            query_parameters: vec![described],
            headers: vec![param("X-Req", "xs:token", true)],
            representations: vec![],
        },
        responses: vec![
            Response {
                status_code: Some(200),
                description: Some("Found.".into()),
                representations: vec![rep("application/json", None), rep("text/csv", None)],
                headers: vec![param("ETag", "string", false)],
            },
            Response {
                status_code: Some(404),
                description: None,
                representations: vec![],
                headers: vec![],
            },
        ],
    };
    let upload = Operation {
        name: "Upload".into(),
        method: "PATCH".into(),
        url_template: "/items/{id}.{ext}".into(),
        template_parameters: vec![param("id", "integer", true), param("ext", "string", true)],
        description: None,
        request: Request {
            description: None,
            query_parameters: vec![],
            headers: vec![],
            representations: vec![
                rep(
                    "multipart/form-data",
                    Some(vec![
                        param("file", "file", true),
                        param("note", "string", false),
                    ]),
                ),
                rep("application/octet-stream", None),
            ],
        },
        responses: vec![Response {
            status_code: Some(204),
            description: None,
            representations: vec![],
            headers: vec![],
        }],
    };
    let custom = Operation {
        name: "Purge".into(),
        method: "PURGE".into(),
        url_template: "/cache/{*rest}".into(),
        template_parameters: vec![param("rest", "string", true)],
        description: None,
        request: Request::default(),
        responses: vec![],
    };
    let ops = vec![
        ("search".to_owned(), search),
        ("upload.v2".to_owned(), upload),
        ("purge_all".to_owned(), custom),
    ];
    (api, ops)
}

fn rep(media_type: &str, form: Option<Vec<Parameter>>) -> Representation {
    Representation {
        content_type: Some(media_type.into()),
        sample: None,
        schema_id: None,
        type_name: None,
        form_parameters: form,
    }
}

#[test]
fn any_api_round_trips_including_query_part_templates() {
    let (api, operations) = rich_api();
    let exported = export_wadl(&api, &operations, &[]);
    check_well_formed(&exported).unwrap_or_else(|e| panic!("{e}\n{exported}"));
    assert!(
        exported.contains("tollgate:template=\"pageSize\""),
        "{exported}"
    );
    assert!(
        exported.contains("type=\"xs:token\""),
        "prefixed types are kept: {exported}"
    );
    let back = import(&exported);
    assert_eq!(back.name, api.name);
    assert_eq!(back.description, api.description);
    assert_eq!(back.service_url, api.service_url);
    assert_eq!(back.protocols, ["http"]);
    let mut expected = operations.clone();
    // The header's type was `xs:token`: a prefixed type is written as it is, and read back
    // without its `xs:`.
    expected[0].1.request.headers[0].param_type = Some("token".into());
    assert_eq!(back.operations, expected, "{exported}");
}

#[test]
fn an_empty_api_exports_and_imports() {
    let (mut api, _) = rich_api();
    api.service_url = None;
    api.description = None;
    let exported = export_wadl(&api, &[], &[]);
    check_well_formed(&exported).unwrap();
    assert!(exported.contains("<resources>"), "{exported}");
    let back = import(&exported);
    assert!(back.operations.is_empty());
    assert_eq!(back.service_url, None);
}

/// A deterministic pseudo-random sequence (a linear congruential generator).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

/// Imports `doc`; an imported API must be valid. Whether it imported.
fn survive(doc: &str) -> bool {
    match import_wadl(doc) {
        Ok(api) => {
            assert_valid(&api);
            true
        }
        Err(e) => {
            assert!(e.message.starts_with("line "), "{e}");
            false
        }
    }
}

#[test]
fn mutated_documents_never_panic() {
    let mut outcomes = (0usize, 0usize);
    let (api, operations) = rich_api();
    let seeds = [
        export_wadl(&api, &operations, &[]),
        fixture("wadl/admin.wadl"),
        r##"<application><resources base="https://h"><resource path="{a}" type="#t"><param name="a" style="template"/>
<method name="GET" id="x"><request><param name="q"><option value="1"/></param><representation href="#r"/></request>
<response status="200 404"><representation mediaType="a/b"><param name="h" style="header"/></representation></response></method>
</resource></resources><resource_type id="t"><method href="#m"/><resource path="{b: x{2}}"/></resource_type>
<method id="m" name="POST"/><representation id="r" mediaType="c/d"/></application>"##
            .to_owned(),
    ];
    let alphabet: Vec<char> = "<>/=\"'&;#{}: ?\n\t\u{e9}\u{1F600}xa1".chars().collect();
    let tokens = [
        "<resource path=\"{x}\">",
        "</resource>",
        "<method name=\"GET\"/>",
        "href=\"#m\"",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "&undefined;",
        "<![CDATA[",
        "<!--",
        "<?pi?>",
        "<!DOCTYPE application [<!ENTITY e \"x\">]>",
        "status=\"99999999999999999999\"",
        "xmlns:p=\"\"",
        "<p:x/>",
        "\u{feff}",
    ];
    let mut rng = Lcg(0x5eed);
    for seed in &seeds {
        assert!(survive(seed), "the seeds import");
        let chars: Vec<char> = seed.chars().collect();
        for _ in 0..400 {
            let mut doc = chars.clone();
            for _ in 0..=rng.next(3) {
                let at = rng.next(doc.len() + 1);
                match rng.next(5) {
                    0 => doc.truncate(at),
                    1 => {
                        let end = (at + rng.next(40)).min(doc.len());
                        doc.drain(at..end);
                    }
                    2 => doc.insert(at, alphabet[rng.next(alphabet.len())]),
                    3 => {
                        let token = tokens[rng.next(tokens.len())];
                        for (i, c) in token.chars().enumerate() {
                            doc.insert(at + i, c);
                        }
                    }
                    _ => {
                        let from = rng.next(doc.len() + 1);
                        let end = (from + rng.next(200)).min(doc.len());
                        let piece: Vec<char> = doc[from..end].to_vec();
                        for (i, c) in piece.into_iter().enumerate() {
                            doc.insert(at.min(doc.len()) + i, c);
                        }
                    }
                }
            }
            match survive(&doc.into_iter().collect::<String>()) {
                true => outcomes.0 += 1,
                false => outcomes.1 += 1,
            }
        }
    }
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    assert!(outcomes.0 > 50 && outcomes.1 > 50, "{outcomes:?}");
}

#[test]
fn pathological_documents_are_refused_not_crashed() {
    let deep = format!(
        "<application {NS}><resources>{}{}</resources></application>",
        "<resource path=\"a\">".repeat(500),
        "</resource>".repeat(500)
    );
    assert!(fail(&deep).message.contains("deeper than"));
    // A resource type that contains a resource of its own type.
    let recursive = format!(
        "<application {NS}><resources><resource path=\"a\" type=\"#t\"/></resources>\
         <resource_type id=\"t\"><resource path=\"b\" type=\"#t\"/></resource_type></application>"
    );
    assert!(fail(&recursive).message.contains("deeper than"));
    // Resource types that each hold two resources of the next: 2^40 resources, no cycle.
    let types: String = (0..40)
        .map(|i| {
            let next = i + 1;
            format!(
                "<resource_type id=\"t{i}\"><method name=\"GET\"/><resource path=\"a\" type=\"#t{next}\"/>\
                 <resource path=\"b\" type=\"#t{next}\"/></resource_type>"
            )
        })
        .collect();
    let laughs = format!(
        "<application {NS}><resources><resource path=\"r\" type=\"#t0\"/></resources>{types}\
         <resource_type id=\"t40\"/></application>"
    );
    assert!(fail(&laughs).message.contains("more than 10000 resources"));
    let huge_status = wadl(
        "<resource path=\"a\"><method name=\"GET\"><response status=\"99999999999999999999\"/></method></resource>",
    );
    assert!(
        fail(&huge_status)
            .message
            .contains("not an HTTP status code")
    );
    let many = wadl(&"<resource path=\"{p}\"><method name=\"GET\"/></resource>".repeat(2));
    assert!(fail(&many).message.contains("matches the same requests"));
    assert!(survive(&format!(
        "<application {NS}>{}</application>",
        "<doc/>".repeat(10_000)
    )));
}
