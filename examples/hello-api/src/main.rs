use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

fn handle(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let (status, body) = match hello_api::parse_request_line(&line) {
        Some(request) => hello_api::respond(&request),
        None => (400, "bad request\n".to_string()),
    };
    let reason = if status == 200 { "OK" } else { "Error" };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    // `hello-api --greet NAME` prints one greeting and exits: a check that needs no network.
    if args.len() >= 2 && args[1] == "--greet" {
        println!(
            "{}",
            hello_api::greeting(args.get(2).map_or("", |s| s.as_str()))
        );
        return Ok(());
    }
    let addr = std::env::var("LISTEN").unwrap_or_else(|_| "0.0.0.0:8080".to_string());
    let listener = TcpListener::bind(&addr)?;
    eprintln!("hello-api listening on {addr}");
    for stream in listener.incoming() {
        if let Err(e) = stream.and_then(handle) {
            eprintln!("hello-api: {e}");
        }
    }
    Ok(())
}
