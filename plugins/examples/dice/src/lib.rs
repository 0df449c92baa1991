use milvus_ingest_sdk::prelude::*;

struct Dice;

impl Generator for Dice {
    fn info() -> PluginInfo {
        let roll = FunctionInfo::new("roll", "1 to `sides`", &[MilvusType::Int64]);
        PluginInfo::new("dice", "0.1.0", "dice rolls").function(roll)
    }

    fn generate(req: GenerateRequest) -> Result<Column, String> {
        let sides = req.param_f64("sides", 6.0)? as u64;
        if sides == 0 {
            return Err("`sides` must be at least 1".into());
        }
        let values = req
            .rows()
            .map(|row| {
                let mut rng = RowRng::for_row(req.seed, &req.field.name, row);
                1 + rng.below(sides) as i64
            })
            .collect();
        Ok(Column::new(ColumnData::Scalar(Scalars::I64s(values))))
    }
}

export_generator!(Dice);
