fn main() -> std::process::ExitCode {
    milvus_ingest::cli::main()
}
