//! The request handling of hello-api, kept apart from the socket so it can be tested.

/// The greeting for `name`; an empty name greets the world.
///
/// ```
/// assert_eq!(hello_api::greeting("rcd"), "Hello, rcd!");
/// assert_eq!(hello_api::greeting(""), "Hello, world!");
/// ```
pub fn greeting(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        "Hello, world!".to_string()
    } else {
        format!("Hello, {name}!")
    }
}

/// A parsed HTTP request line.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
}

/// Parses the first line of an HTTP request, such as `GET /hello/ada HTTP/1.1`.
///
/// ```
/// let request = hello_api::parse_request_line("GET /health HTTP/1.1").unwrap();
/// assert_eq!(request.path, "/health");
/// assert!(hello_api::parse_request_line("nonsense").is_none());
/// ```
pub fn parse_request_line(line: &str) -> Option<Request> {
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") || parts.next().is_some() {
        return None;
    }
    Some(Request { method, path })
}

/// The status line and body for a request.
pub fn respond(request: &Request) -> (u16, String) {
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/health") => (200, "ok\n".to_string()),
        ("GET", path) if path.starts_with("/hello/") => {
            (200, format!("{}\n", greeting(&path["/hello/".len()..])))
        }
        ("GET", "/") => (200, format!("{}\n", greeting(""))),
        _ => (404, "not found\n".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets_by_name() {
        assert_eq!(greeting(" ada "), "Hello, ada!");
    }

    #[test]
    fn routes_health_and_hello() {
        let health = parse_request_line("GET /health HTTP/1.1").unwrap();
        assert_eq!(respond(&health), (200, "ok\n".to_string()));
        let hello = parse_request_line("GET /hello/ada HTTP/1.1").unwrap();
        assert_eq!(respond(&hello).1, "Hello, ada!\n");
    }

    #[test]
    fn unknown_paths_are_not_found() {
        let request = parse_request_line("POST /x HTTP/1.1").unwrap();
        assert_eq!(respond(&request).0, 404);
    }
}
