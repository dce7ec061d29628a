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
    let mut rest = body;
    // Tokens in order of appearance: scope("..."), and route!("...", get => handler, ...).
    loop {
        let next = ["scope(\"", "route!(\""]
            .iter()
            .filter_map(|t| rest.find(t).map(|i| (i, *t)))
            .min();
        let Some((i, token)) = next else { break };
        rest = &rest[i + token.len()..];
        if token == "scope(\"" {
            prefix = rest[..rest.find('"').unwrap()].to_owned();
            continue;
        }
        let path = &rest[..rest.find('"').unwrap()];
        let declaration = &rest[..rest.find(')').unwrap()];
        // Top-level resources (before the first scope) start with "/" and carry no prefix.
        let full = format!("{prefix}{path}");
        for method in declaration.split(',').skip(1) {
            let (method, _) = method.split_once("=>").expect("method => handler");
            routes.push(Route {
                method: method.trim().to_uppercase(),
                path: full.clone(),
            });
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
