//! Exports `milvus-ingest:plugin/field-generation@1.0.0`: a plugin from a future SDK. The host
//! must refuse it at load time, naming the versions it accepts.

wit_bindgen::generate!({
    inline: "
        package milvus-ingest:plugin@1.0.0;
        interface field-generation {
            describe: func() -> string;
            generate: func(first-row: u64, row-count: u32) -> result<list<string>, string>;
        }
        world field-generator { export field-generation; }
    ",
    world: "field-generator",
});

struct Future;

impl exports::milvus_ingest::plugin::field_generation::Guest for Future {
    fn describe() -> String {
        "from the future".into()
    }
    fn generate(_first_row: u64, row_count: u32) -> Result<Vec<String>, String> {
        Ok(vec![String::new(); row_count as usize])
    }
}

export!(Future);
