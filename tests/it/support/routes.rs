//! Every route the app serves, read from `src/startup.rs` (the one function that lists them),
//! so that access and bad-input tests cover a new route without anyone remembering to add it.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
}

pub fn all() -> Vec<Route> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/startup.rs"))
        .expect("startup.rs");
    let body = &source[source.find("pub fn routes(").expect("routes function")..];
    let body = &body[..body.find("\n}\n").expect("end of routes")];
    let mut routes = Vec::new();
    let mut prefix = String::new();
    let mut resource: Option<String> = None;
    let mut rest = body;
    // Tokens in order of appearance: scope("..."), resource("..."), .route(get() ...
    loop {
        let next = ["scope(\"", "resource(\"", ".route("]
            .iter()
            .filter_map(|t| rest.find(t).map(|i| (i, *t)))
            .min();
        let Some((i, token)) = next else { break };
        rest = &rest[i + token.len()..];
        match token {
            "scope(\"" => {
                prefix = rest[..rest.find('"').unwrap()].to_owned();
                resource = None;
            }
            "resource(\"" => resource = Some(rest[..rest.find('"').unwrap()].to_owned()),
            _ => {
                let method = rest[..rest.find('(').unwrap()].trim().to_uppercase();
                let path = resource.clone().expect("a route belongs to a resource");
                // Top-level resources (before the first scope) start with "/" and carry no prefix.
                let full = if prefix.is_empty() {
                    path
                } else {
                    format!("{prefix}{path}")
                };
                routes.push(Route { method, path: full });
            }
        }
    }
    assert!(routes.len() > 20, "parsed only {} routes", routes.len());
    routes
}

/// Fills path parameters with the given values; any other parameter gets a well-formed id
/// of nothing, so that the route is reached rather than refused for its shape.
pub fn fill(path: &str, values: &[(&str, &str)]) -> String {
    let mut out = path.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out = out.replace("{path:.+}", "css/liaison.css");
    while let (Some(open), Some(close)) = (out.find('{'), out.find('}')) {
        out.replace_range(open..=close, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    }
    out
}

#[test]
fn the_route_list_is_read_correctly() {
    let routes = all();
    assert!(routes.contains(&Route {
        method: "POST".into(),
        path: "/api/v1/auth/token".into()
    }));
    assert!(routes.contains(&Route {
        method: "GET".into(),
        path: "/staff".into()
    }));
    assert!(routes.contains(&Route {
        method: "GET".into(),
        path: "/healthz".into()
    }));
    assert!(routes.contains(&Route {
        method: "POST".into(),
        path: "/admin/teams/{id}/members/{user_id}/remove".into()
    }));
}
