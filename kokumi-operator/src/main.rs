//! The `kokumi-operator` binary: see `kokumi_operator::cli`.

fn main() -> std::process::ExitCode {
    kokumi_operator::cli::main()
}
