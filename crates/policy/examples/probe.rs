use tollgate_policy::csharp::{parse_block, parse_expression};
fn main() {
    let src = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    for chunk in src.split("\n----\n") {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        let r = if chunk.starts_with('{') {
            parse_block(&chunk[1..chunk.len() - 1])
        } else {
            parse_expression(chunk)
        };
        match r {
            Ok(_) => println!(
                "OK   {}",
                chunk
                    .replace('\n', " ")
                    .chars()
                    .take(110)
                    .collect::<String>()
            ),
            Err(e) => println!(
                "FAIL {}\n     -> {}",
                chunk
                    .replace('\n', " ")
                    .chars()
                    .take(110)
                    .collect::<String>(),
                e
            ),
        }
    }
}
